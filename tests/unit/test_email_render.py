"""What a customer and a merchant see in the shipping emails, and the parts that keep them safe."""

import re
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest

from orderflow.emails.render import (
    Brand,
    CustomerEmail,
    Item,
    MerchantAlert,
    Tracking,
    customer_message,
    merchant_message,
)
from orderflow.emails.send import SmtpMailer
from orderflow.emails.unsubscribe import read_unsubscribe_token, unsubscribe_token
from orderflow.fulfilment.email_rules import (
    DEFAULT_COLOUR,
    KINDS,
    Wording,
    is_email_address,
    wording_problem,
)

BRAND = Brand("Maple & Co", "https://cdn.example.com/maple.png", "#D0451B", "help@maple.example")
UPS_URL = "https://www.ups.com/track?tracknum=1Z999AA10123456784"
TRACKING = (Tracking("UPS", "Ground", "1Z999AA10123456784", UPS_URL),)
ITEMS = (Item("Blue enamel mug", 2), Item("Linen tea towel", 1))
UNSUBSCRIBE = "https://app.example.com/email/unsubscribe/tok123"


def customer_email(kind="shipped", **changes) -> CustomerEmail:
    fields = dict(
        kind=kind, order_name="#1001", customer_name="Jane Doe", items=ITEMS, tracking=TRACKING,
        estimated_delivery=date(2026, 11, 28), tracking_page_url="https://app.example.com/t/abc",
        problem="Address not found: the building number is missing",
        delivered_at=datetime(2026, 11, 28, 14, 5, tzinfo=timezone(timedelta(hours=-5))),
        delivered_where="Brooklyn, NY", signed_by="J SMITH",
    )
    return CustomerEmail(**{**fields, **changes})


def render(email=None, brand=BRAND, wording=None):
    return customer_message(email or customer_email(), brand, "jane@example.com",
                            "shipping@orderflow.example", UNSUBSCRIBE, "<notice-42@orderflow>",
                            wording=wording)


def bodies(message) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content())


EXPECTED = {
    "shipped": ("Your order #1001 is on its way",
                ["Estimated delivery", "Saturday, November 28", "1Z999AA10123456784",
                 "Blue enamel mug", "Linen tea towel", "UPS"]),
    "out_for_delivery": ("Your order #1001 is out for delivery",
                         ["should arrive today", "1Z999AA10123456784", "Blue enamel mug"]),
    "delivered": ("Your order #1001 has been delivered",
                  ["Saturday, November 28 at 2:05 PM in Brooklyn, NY", "signed for by J SMITH",
                   "Blue enamel mug"]),
    "problem": ("There's a problem delivering your order #1001",
                ["Address not found: the building number is missing", "1Z999AA10123456784"]),
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_tells_the_customer_what_happened_in_both_parts(kind):
    subject, facts = EXPECTED[kind]
    message = render(customer_email(kind))
    text, html = bodies(message)
    assert message["Subject"] == subject
    for part in (text, html):
        shop = "Maple &amp; Co" if part is html else "Maple & Co"
        for fact in ["#1001", shop, "Jane Doe", *facts]:
            assert fact in part, (kind, fact)
        assert "https://app.example.com/t/abc" in part
        assert UNSUBSCRIBE in part


@pytest.mark.parametrize("kind", ("shipped", "out_for_delivery", "problem"))
def test_tracking_number_links_to_the_carrier(kind):
    _, html = bodies(render(customer_email(kind)))
    assert re.search(r'<a [^>]*href="https://www.ups.com/track\?tracknum=1Z999AA10123456784"[^>]*>'
                     r'1Z999AA10123456784</a>', html.replace("&amp;", "&"))


def test_headers_identify_the_shop_and_offer_one_click_unsubscribe():
    message = render(brand=Brand("Café Olé", reply_to="hola@cafe.example"))
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["From"].addresses[0].display_name == "Café Olé"
    assert parsed["From"].addresses[0].addr_spec == "shipping@orderflow.example"
    assert parsed["Reply-To"] == "hola@cafe.example"
    assert parsed["Message-ID"] == "<notice-42@orderflow>"
    assert parsed["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Date"] is not None


def test_message_is_seven_bit_with_short_lines_whatever_the_content():
    items = (Item("Crème brûlée set " * 20, 1),)
    raw = render(customer_email(customer_name="Zoë Ångström", items=items)).as_bytes()
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\n")) <= 78


def test_css_is_inlined_with_the_shops_colour():
    _, html = bodies(render())
    assert "<style" not in html and "<link" not in html
    button = re.search(r'<a class="button"[^>]*style="([^"]*)"', html).group(1)
    assert "background-color: #d0451b" in button
    assert 'src="https://cdn.example.com/maple.png"' in html


def test_button_text_stays_readable_on_a_light_colour():
    _, html = bodies(render(brand=Brand("Sunny", colour="#ffdd00")))
    button = re.search(r'<a class="button"[^>]*style="([^"]*)"', html).group(1)
    assert "color: #202223" in button


def test_customer_text_is_escaped_in_html():
    hostile = dict(customer_name='"><script>alert(1)</script>', problem="<b>lost</b>",
                   items=(Item("<img src=x onerror=alert(2)>", 1),), delivered_where="<i>x</i>")
    for kind in KINDS:
        _, html = bodies(render(customer_email(kind, **hostile)))
        assert "<script" not in html and "<img src=x" not in html and "<b>lost" not in html
        assert "<i>x" not in html
    _, html = bodies(render(customer_email("problem", **hostile)))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;lost&lt;/b&gt;" in html
    text, _ = bodies(render(customer_email(items=(Item("<img src=x onerror=alert(2)>", 1),))))
    assert "1 x <img src=x onerror=alert(2)>" in text


def test_hostile_shop_name_is_escaped():
    _, html = bodies(render(brand=Brand('Evil"><script>x()</script>')))
    assert "<script>x()" not in html
    assert "&lt;script&gt;x()" in html


@pytest.mark.parametrize("colour", ["red", "#12345", "#abc;background:url(https://x.example/t)",
                                    "#fff} body {display:none", "", "expression(alert(1))"])
def test_a_colour_that_is_not_hex_falls_back_to_the_default(colour):
    _, html = bodies(render(brand=Brand("Maple", colour=colour)))
    assert f"background-color: {DEFAULT_COLOUR}" in html
    assert "url(" not in html and "expression" not in html and "display:none" not in html


@pytest.mark.parametrize("logo", ["http://cdn.example.com/logo.png", "javascript:alert(1)",
                                  "data:image/png;base64,AAAA", "//cdn.example.com/logo.png",
                                  "https://", "https://cdn.example.com/a logo.png",
                                  "https://[cdn.example.com/logo.png"])
def test_a_logo_that_is_not_https_is_left_out_and_the_name_shown(logo):
    _, html = bodies(render(brand=Brand("Maple", logo_url=logo)))
    assert "<img" not in html
    assert re.search(r'<span class="shop-name"[^>]*>Maple</span>', html)


def test_a_bad_reply_to_is_left_out():
    assert "Reply-To" not in render(brand=Brand("Maple", reply_to="not an address"))


def test_carrier_link_that_is_not_http_is_not_linked():
    tracking = (Tracking("USPS", None, "9400111", "javascript:alert(1)"),)
    text, html = bodies(render(customer_email(tracking=tracking)))
    assert "javascript:" not in html and "javascript:" not in text
    assert "9400111" in html and "9400111" in text


def test_several_parcels_are_each_listed():
    tracking = TRACKING + (Tracking("USPS", "Priority", "9400111", None),)
    text, html = bodies(render(customer_email(tracking=tracking)))
    assert "Tracking for your 2 parcels" in text and "9400111" in text
    assert "USPS Priority: 9400111" in text


def test_optional_facts_missing_read_naturally():
    email = customer_email("delivered", customer_name=None, delivered_at=None, delivered_where=None,
                           signed_by=None, estimated_delivery=None)
    text, html = bodies(render(email))
    assert "Hi there," in text
    assert "Your order #1001 was delivered." in text
    assert "signed" not in text
    shipped_text, _ = bodies(render(customer_email(estimated_delivery=None)))
    assert "Estimated delivery" not in shipped_text


def test_without_reply_to_the_email_does_not_ask_for_a_reply():
    text, _ = bodies(render(customer_email("delivered"), brand=Brand("Maple")))
    assert "reply to this email" not in text.lower()
    text, _ = bodies(render(customer_email("delivered")))
    assert "reply to this email" in text


def test_text_part_has_no_runs_of_blank_lines():
    for kind in KINDS:
        text, _ = bodies(render(customer_email(kind)))
        assert "\n\n\n" not in text


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown email kind"):
        customer_email("lost")


def test_merchant_alert_names_the_order_problem_and_link():
    alert = MerchantAlert("#1001", "failed", "UPS could not deliver: address not found.",
                          ("1Z999AA10123456784",), "https://admin.example.com/orders/5")
    message = merchant_message(alert, BRAND, "owner@maple.example", "shipping@orderflow.example",
                               "<alert-7@orderflow>")
    text, html = bodies(message)
    assert message["Subject"] == "Delivery failed for order #1001"
    assert message["Message-ID"] == "<alert-7@orderflow>"
    assert "List-Unsubscribe" not in message
    for part in (text, html):
        assert "UPS could not deliver: address not found." in part
        assert "1Z999AA10123456784" in part
        assert "https://admin.example.com/orders/5" in part
    assert "<style" not in html


def test_merchant_alert_of_an_unknown_kind_still_reads_well():
    alert = MerchantAlert("#1002", "something_new", "Odd <status>", ())
    message = merchant_message(alert, Brand("Maple"), "owner@maple.example", "s@o.example", "<a@o>")
    _, html = bodies(message)
    assert message["Subject"] == "A delivery problem needs your attention: order #1002"
    assert "Odd &lt;status&gt;" in html


@pytest.mark.parametrize("value, ok", [
    ("help@example.com", True), ("a.b+c@shop.co.uk", True), ("help@example", False),
    ("help", False), ("help @example.com", False), ("Help <help@example.com>", False),
    ("help@example.com\nBcc: x@y.z", False), ("", False), (None, False),
])
def test_email_address_check(value, ok):
    assert is_email_address(value) is ok


def test_unsubscribe_token_round_trip_lower_cases_the_address():
    token = unsubscribe_token("secret", 7, " Jane@Example.COM ")
    assert read_unsubscribe_token("secret", token) == (7, "jane@example.com")


@pytest.mark.parametrize("token", ["", "garbage", "W10.abc", "e30"])
def test_a_malformed_token_reads_as_none(token):
    assert read_unsubscribe_token("secret", token) is None


def test_a_token_signed_with_another_key_or_tampered_reads_as_none():
    token = unsubscribe_token("secret", 7, "jane@example.com")
    assert read_unsubscribe_token("other-secret", token) is None
    signature = token.rsplit(".", 1)[1]
    forged = unsubscribe_token("attacker", 8, "jane@example.com").rsplit(".", 1)[0]
    assert read_unsubscribe_token("secret", f"{forged}.{signature}") is None


@pytest.mark.parametrize("url, host, port, tls, starttls, user", [
    ("smtp://mail.example.com", "mail.example.com", 25, False, False, None),
    ("smtp://u%40x:p%3As@mail.example.com:587?starttls=true", "mail.example.com", 587, False, True,
     "u@x"),
    ("smtps://mail.example.com", "mail.example.com", 465, True, False, None),
    ("smtps://mail.example.com:2465?timeout=5", "mail.example.com", 2465, True, False, None),
])
def test_smtp_url_parts(url, host, port, tls, starttls, user):
    mailer = SmtpMailer(url)
    assert (mailer.host, mailer.port, mailer.implicit_tls, mailer.starttls, mailer.username) == (
        host, port, tls, starttls, user)


@pytest.mark.parametrize("url, problem", [
    ("http://user:hunter2@mail.example.com", "must start with smtp:// or smtps://"),
    ("smtp://user:hunter2@:25", "no host name"),
    ("smtp://user:hunter2@mail.example.com:port", "port that is not a number"),
    ("smtp://user:hunter2@mail.example.com?starttls=maybe", "starttls=\'maybe\' is not valid"),
    ("smtp://user:hunter2@mail.example.com?tls=1", "unknown option 'tls'; use starttls or timeout"),
    ("smtp://user:hunter2@mail.example.com?timeout=-1", "timeout"),
    ("smtps://user:hunter2@mail.example.com?starttls=true", "already encrypted"),
])
def test_a_malformed_smtp_url_says_what_is_wrong_without_the_password(url, problem):
    with pytest.raises(ValueError) as caught:
        SmtpMailer(url)
    assert problem in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_smtp_mailer_repr_hides_the_password():
    assert "hunter2" not in repr(SmtpMailer("smtp://user:hunter2@mail.example.com"))


# ---------------------------------------------------------------- the merchant's own wording


@pytest.mark.parametrize("kind", KINDS)
def test_the_merchants_subject_and_opening_replace_ours_with_the_facts_kept(kind):
    wording = Wording("{order} from {shop}: news",
                      "Thanks for shopping at {shop}!\n\nWe pack by hand.")
    message = render(customer_email(kind), wording=wording)
    text, html = bodies(message)
    assert message["Subject"] == "#1001 from Maple & Co: news"
    assert ">Thanks for shopping at Maple &amp; Co!</p>" in html and ">We pack by hand.</p>" in html
    assert "Thanks for shopping at Maple & Co!\n\nWe pack by hand.\n" in text
    assert text.index("Hi Jane Doe,") < text.index("Thanks for shopping")
    for fact in EXPECTED[kind][1]:
        assert fact in text  # the facts of the email stay


def test_without_wording_our_subject_and_no_extra_paragraph():
    plain, blank = render(), render(wording=Wording(" ", ""))
    assert plain["Subject"] == blank["Subject"] == "Your order #1001 is on its way"
    assert bodies(plain)[0] == bodies(blank)[0]


def test_the_merchants_text_is_escaped_and_fills_only_known_placeholders():
    wording = Wording("<b>{order}</b>\r\nBcc: x@evil.example {order.__class__} {0}",
                      '<script>alert(1)</script> {order.__init__.__globals__} {shop}')
    message = render(brand=Brand('Shop "<i>"'), wording=wording)
    text, html = bodies(message)
    assert message["Subject"] == "<b>#1001</b> Bcc: x@evil.example {order.__class__} {0}"
    assert "Bcc" not in message.keys()  # one line: no header injection
    escaped = ('>&lt;script&gt;alert(1)&lt;/script&gt; {order.__init__.__globals__} '
               'Shop "&lt;i&gt;"</p>')
    assert escaped in html
    assert "<script" not in html and "<i>" not in html
    assert "<script>alert(1)</script>" in text


def test_wording_problems_name_the_fix():
    assert wording_problem("{order} is on its way from {shop}", 150) is None
    expected = "{first_name} is not something we can fill in: use {order} or {shop}"
    assert wording_problem("Hi {first_name}", 150) == expected
    assert wording_problem("x" * 151, 150) == "keep it to 150 characters (this has 151)"
