"""Which notices a tracking status calls for (fulfilment/notices.py)."""

from orderflow.fulfilment.notices import Wanted, alert_for, notices_for

ALL_EMAILS = ("shipped", "out_for_delivery", "delivered", "problem")
DELAY = [{"status": "in_transit", "detail": "weather_delay", "at": None, "message": None}]


def wanted(status, events=(), live=True, email="ann@example.com", kinds=ALL_EMAILS,
           shipped=False):
    asked = []

    def email_kinds():
        asked.append(True)
        return kinds
    found = notices_for(status, events, live=live, email=email, email_kinds=email_kinds,
                        shipped=shipped)
    return found, bool(asked)


def test_nobody_is_told_before_the_fulfilment_is_live():
    assert wanted("delivered", live=False) == ([], False)


def test_delivered_tells_shopify_and_the_customer():
    found, _ = wanted("delivered")
    assert found == [Wanted("shopify", "DELIVERED"),
                     Wanted("email", "delivered", "ann@example.com")]


def test_a_new_fulfilment_sends_shipped_and_no_shopify_event_for_the_label():
    found, _ = wanted("label_created", shipped=True)
    assert found == [Wanted("email", "shipped", "ann@example.com")]


def test_a_delay_in_transit_is_a_shopify_event():
    found, _ = wanted("in_transit", DELAY)
    assert found == [Wanted("shopify", "IN_TRANSIT"), Wanted("shopify", "DELAYED")]


def test_emails_the_shop_turned_off_are_not_wanted():
    found, _ = wanted("out_for_delivery", kinds=("delivered",))
    assert found == [Wanted("shopify", "OUT_FOR_DELIVERY")]


def test_the_shops_settings_are_read_only_when_an_email_can_be_due():
    assert wanted("in_transit", email=None)[1] is False
    assert wanted("in_transit", live=False)[1] is False
    assert wanted("in_transit")[1] is True


def test_problems_raise_an_alert_and_good_news_does_not():
    assert alert_for("failed") == "failed"
    assert alert_for("returning") == "returning"
    assert alert_for("delivered") is None
    assert alert_for(None) is None
