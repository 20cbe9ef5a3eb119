"""The shop's email settings as read from its settings document."""

import pytest

from orderflow.emails.render import DEFAULT_COLOUR, KINDS
from orderflow.shipping_settings import EmailSettings, SettingsError, read_settings


def test_email_defaults_send_every_customer_email_in_the_default_colour():
    emails = read_settings(None).emails
    assert emails == EmailSettings()
    assert emails.customer == frozenset(KINDS)
    assert emails.colour == DEFAULT_COLOUR
    assert (emails.logo_url, emails.reply_to, emails.alert_email) == (None, None, None)


def test_the_customer_gets_one_shipping_confirmation_shopifys_or_ours():
    assert read_settings(None).notify_customer is False
    assert read_settings({"emails": {"customer": ["delivered"]}}).notify_customer is True
    assert read_settings({"notify_customer": False, "emails": {"customer": []}}).notify_customer is False
    with pytest.raises(SettingsError) as refused:
        read_settings({"notify_customer": True})
    assert refused.value.field == "notify_customer" and "both" in str(refused.value)


def test_email_settings_are_read():
    emails = read_settings({"emails": {
        "customer": ["shipped", "delivered"], "logo_url": "https://cdn.example.com/logo.png",
        "colour": "#D0451B", "reply_to": "help@maple.example",
        "alert_email": " owner@maple.example ",
    }}).emails
    assert emails.customer == frozenset({"shipped", "delivered"})
    assert emails.logo_url == "https://cdn.example.com/logo.png"
    assert emails.colour == "#D0451B"
    assert emails.reply_to == "help@maple.example"
    assert emails.alert_email == "owner@maple.example"


def test_an_empty_list_turns_every_customer_email_off():
    assert read_settings({"emails": {"customer": []}}).emails.customer == frozenset()


def test_blank_fields_read_as_not_set():
    emails = read_settings({"emails": {"logo_url": "", "colour": " ", "reply_to": None}}).emails
    assert (emails.logo_url, emails.colour, emails.reply_to) == (None, DEFAULT_COLOUR, None)


@pytest.mark.parametrize("emails, field, words", [
    ({"customer": ["shipped", "lost"]}, "emails.customer", "'lost' is not one of our emails"),
    ({"customer": "shipped"}, "emails.customer", "give a list"),
    ({"colour": "red"}, "emails.colour", "hex colour such as #2c6ecb"),
    ({"colour": "#abc;x:y"}, "emails.colour", "hex colour"),
    ({"logo_url": "http://cdn.example.com/logo.png"}, "emails.logo_url", "https://"),
    ({"logo_url": "javascript:alert(1)"}, "emails.logo_url", "https://"),
    ({"reply_to": "help at maple"}, "emails.reply_to", "email address such as"),
    ({"alert_email": "Owner <o@maple.example>"}, "emails.alert_email", "email address such as"),
    ({"color": "#ffffff"}, "emails.color", "unknown setting; use customer, logo_url, colour"),
])
def test_bad_email_settings_name_the_field_and_the_fix(emails, field, words):
    with pytest.raises(SettingsError) as caught:
        read_settings({"emails": emails})
    assert caught.value.field == field
    assert words in str(caught.value)


def test_emails_must_be_an_object():
    with pytest.raises(SettingsError, match="emails: give an object"):
        read_settings({"emails": ["shipped"]})
