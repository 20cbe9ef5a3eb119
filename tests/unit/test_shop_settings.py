"""The shop's settings as read from its settings document: emails, ship-from addresses, policy,
the carrier account, and every problem of a document at once for the admin's forms."""

import pytest

from orderflow.fulfilment.email_rules import DEFAULT_COLOUR, KINDS, Wording
from orderflow.fulfilment.shop_settings import (
    CarrierAccount,
    EmailSettings,
    SettingsError,
    address_problems,
    carrier_key_mode,
    carrier_key_problem,
    origin_for,
    read_settings,
    settings_problems,
)


def test_email_defaults_send_every_customer_email_in_the_default_colour():
    emails = read_settings(None).emails
    assert emails == EmailSettings()
    assert emails.customer == frozenset(KINDS)
    assert emails.colour == DEFAULT_COLOUR
    assert (emails.logo_url, emails.reply_to, emails.alert_email) == (None, None, None)


def test_the_customer_gets_one_shipping_confirmation_shopifys_or_ours():
    assert read_settings(None).notify_customer is False
    assert read_settings({"emails": {"customer": ["delivered"]}}).notify_customer is True
    quiet = read_settings({"notify_customer": False, "emails": {"customer": []}})
    assert quiet.notify_customer is False
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


# ---------------------------------------------------------------- ship-from addresses

WAREHOUSE = {"company": "3PL Inc", "address1": "5 Dock Rd", "city": "Brooklyn",
             "province_code": "NY", "zip": "11201", "country_code": "US"}


def test_a_ship_from_address_per_location_wins_over_the_default():
    portland = {**WAREHOUSE, "city": "Portland", "province_code": "OR", "zip": "97201"}
    settings = read_settings({"origin": portland, "origins": {"Brooklyn warehouse": WAREHOUSE}})
    # as Shopify names it, loosely
    assert origin_for(settings, "brooklyn warehouse ").city == "Brooklyn"
    assert origin_for(settings, "Shop floor").city == "Portland"
    assert origin_for(read_settings(None), "Anywhere") is None  # the location's own address


def test_an_address_lists_every_problem_by_field():
    assert address_problems({"city": "Austin", "country_code": "usa", "colour": "red"}) == {
        "name": "give a name or a company: carriers print it on the label",
        "address1": "give the street address",
        "zip": "give the postal or ZIP code",
        "country_code": "give the two-letter country code, such as US or GB",
        "colour": "unknown address field",
    }
    assert address_problems({**WAREHOUSE, "province_code": " "}) == {
        "province_code": "give the state or province code, such as NY or ON"}
    assert address_problems(WAREHOUSE) == {}


def test_a_bad_address_names_its_location_and_field():
    with pytest.raises(SettingsError) as caught:
        read_settings({"origins": {"Dock": {**WAREHOUSE, "zip": ""}}})
    assert caught.value.field == "origins.Dock.zip"
    with pytest.raises(SettingsError, match="origin.address1"):
        read_settings({"origin": {**WAREHOUSE, "address1": None}})


# ---------------------------------------------------------------- policy


@pytest.mark.parametrize("policy, field, words", [
    ({"mode": "slowest"}, "policy.mode", "use one of cheapest, fastest, cheapest_on_time"),
    ({"max_cost": "lots"}, "policy.max_cost", "is not a number"),
    ({"min_reliability": 90}, "policy.min_reliability", "share from 0 to 1"),
    ({"preference_margin": -0.1}, "policy.preference_margin", "positive"),
    ({"max_days": 0}, "policy.max_days", "whole number of days from 1 to 60"),
    ({"max_days": 2.5}, "policy.max_days", "whole number"),
    ({"excluded_carriers": "UPS"}, "policy.excluded_carriers", "list of carrier names"),
    ({"excluded_services": ["UPS"]}, "policy.excluded_services", 'give ["UPS", "Ground"]'),
    ({"preferred": [["UPS"]]}, "policy.preferred", "is not a carrier service"),
    ({"trusted": ["UPS"]}, "policy.trusted", "unknown setting"),
])
def test_a_bad_policy_names_the_setting_and_the_fix(policy, field, words):
    with pytest.raises(SettingsError) as caught:
        read_settings({"policy": policy})
    assert caught.value.field == field and words in str(caught.value)


def test_a_policy_is_read():
    policy = read_settings({"policy": {
        "mode": "cheapest_on_time", "max_cost": "25", "preferred": ["UPS", ["USPS", "Priority"]],
        "preference_margin": 0.1, "min_reliability": 0.9, "max_days": 3,
        "excluded_carriers": ["DHL"], "excluded_services": [["UPS", "NextDayAir"]]}}, "CAD").policy
    assert policy.max_cost.amount == 25 and policy.max_cost.currency == "CAD"
    assert policy.preferred == ("UPS", ("USPS", "Priority"))
    assert policy.excluded_services == frozenset({("UPS", "NextDayAir")})
    assert (policy.min_reliability, policy.max_days) == (0.9, 3)


def test_box_errors_name_the_box():
    with pytest.raises(SettingsError) as caught:
        read_settings({"boxes": [{"name": "A", "inner": [8, 6, 4]},
                                 {"name": "B", "inner": [8, 0, 4]}]})
    assert caught.value.field == "boxes.1.inner"
    with pytest.raises(SettingsError, match="boxes.0.weight_g"):
        read_settings({"boxes": [{"name": "A", "inner": [8, 6, 4], "weight_g": "heavy"}]})


# ---------------------------------------------------------------- email wording


def test_email_wording_per_kind_is_read_and_blank_wording_is_dropped():
    emails = read_settings({"emails": {"templates": {
        "shipped": {"subject": " {order} left {shop} ", "intro": "Thanks!"},
        "delivered": {"subject": "", "intro": None}}}}).emails
    assert emails.wording("shipped") == Wording("{order} left {shop}", "Thanks!")
    assert emails.wording("delivered") is None and "delivered" not in emails.templates


@pytest.mark.parametrize("templates, field, words", [
    ({"lost": {"subject": "x"}}, "emails.templates.lost", "not one of our emails"),
    ({"shipped": {"subject": "Hi {name}"}}, "emails.templates.shipped.subject",
     "{name} is not something"),
    ({"shipped": {"subject": "{order.__class__}"}}, "emails.templates.shipped.subject",
     "use {order} or {shop}"),
    ({"shipped": {"subject": "two\nlines"}}, "emails.templates.shipped.subject", "one line"),
    ({"shipped": {"subject": "x" * 151}}, "emails.templates.shipped.subject", "150 characters"),
    ({"shipped": {"intro": "x" * 1001}}, "emails.templates.shipped.intro", "1000 characters"),
    ({"shipped": {"footer": "x"}}, "emails.templates.shipped.footer", "use subject, intro"),
    ({"shipped": "Hello"}, "emails.templates.shipped", "a subject and an intro"),
])
def test_bad_wording_names_the_email_and_the_fix(templates, field, words):
    with pytest.raises(SettingsError) as caught:
        read_settings({"emails": {"templates": templates}})
    assert caught.value.field == field and words in str(caught.value)


# ---------------------------------------------------------------- the carrier account


def test_the_carrier_account_keeps_the_key_encrypted_and_out_of_its_repr():
    stored = {"api_key": "gAAAA-ciphertext", "last4": "WXYZ", "mode": "test", "label": " Main "}
    account = read_settings({"carrier_account": stored}).carrier_account
    assert account == CarrierAccount("gAAAA-ciphertext", "WXYZ", "test", "Main")
    assert "ciphertext" not in repr(account)
    assert read_settings(None).carrier_account is None


def test_a_carrier_account_without_its_key_is_refused():
    with pytest.raises(SettingsError, match="carrier_account"):
        read_settings({"carrier_account": {"label": "Main"}})


@pytest.mark.parametrize("key, ok, mode", [
    ("EZAK0123456789abcdef", True, "production"), ("EZTK0123456789abcdef", True, "test"),
    ("EZTK 0123456789", False, None), ("sk_live_0123456789", False, None), ("EZAK12", False, None),
])
def test_an_easypost_key_is_recognised_by_its_shape(key, ok, mode):
    assert (carrier_key_problem(key) is None) is ok
    if ok:
        assert carrier_key_mode(key) == mode
    else:
        assert "starts with EZAK (production) or EZTK (test)" in carrier_key_problem(key)


# ---------------------------------------------------------------- every problem at once


def test_settings_problems_lists_every_field_not_just_the_first():
    problems = settings_problems({
        "label_format": "GIF", "policy": {"mode": "slowest", "max_days": 0},
        "emails": {"colour": "red", "reply_to": "help at shop",
                   "templates": {"shipped": {"subject": "{x}"}}},
        "origin": {"city": "Austin"},
    })
    assert set(problems) == {
        "label_format", "policy.mode", "policy.max_days", "emails.colour", "emails.reply_to",
        "emails.templates.shipped.subject", "origin.name", "origin.address1", "origin.zip",
        "origin.country_code"}


def test_settings_problems_checks_rules_between_settings_on_the_whole():
    assert set(settings_problems({"notify_customer": True})) == {"notify_customer"}
    assert settings_problems({"notify_customer": True, "emails": {"customer": ["delivered"]}}) == {}
    assert settings_problems({}) == {}


@pytest.mark.parametrize("data, field", [
    ({"products": {"MUG": "big"}}, "products.MUG"),
    ({"dim_divisors": {"UPS": [139, "large"]}}, "dim_divisors.UPS"),
    ({"dim_divisors": {"UPS": True}}, "dim_divisors.UPS"),
])
def test_malformed_product_facts_and_dim_rules_are_named_not_crashed_on(data, field):
    with pytest.raises(SettingsError) as refused:
        read_settings(data)
    assert refused.value.field == field
