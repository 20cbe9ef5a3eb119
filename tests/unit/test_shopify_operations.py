"""Shopify's userErrors become one exception, raised by the operation; an already cancelled
fulfilment is no error."""

import pytest

from orderflow.integrations.shopify import operations
from orderflow.integrations.shopify.errors import ShopifyQueryError, ShopifyUserError


class Admin:
    """Answers each operation with the data given for it, and keeps what was asked."""

    def __init__(self, **answers):
        self.answers, self.asked = answers, []

    def graphql(self, domain, token, query, variables=None):
        self.asked.append((query.split("(")[0].split()[-1], variables))
        return self.answers[self.asked[-1][0]]


ERRORS = [{"field": ["id"], "message": "is invalid"}, {"field": None, "message": "try later"}]


def test_a_refused_fulfilment_raises_with_shopifys_messages():
    admin = Admin(FulfillmentCreate={"fulfillmentCreate": {"fulfillment": None,
                                                           "userErrors": ERRORS}})
    with pytest.raises(ShopifyUserError) as refused:
        operations.create_fulfilment(admin, "s.myshopify.com", "t", "gid://shopify/FO/1", [],
                                     {"company": "UPS", "numbers": ["1Z"]}, False)
    assert str(refused.value) == "Shopify refused the fulfilment: is invalid; try later"
    assert refused.value.messages == ["is invalid", "try later"]
    assert isinstance(refused.value, ShopifyQueryError), "retrying will not help"


def test_a_fulfilment_is_created_with_its_lines_and_tracking():
    admin = Admin(FulfillmentCreate={"fulfillmentCreate": {
        "fulfillment": {"id": "gid://shopify/Fulfillment/9"}, "userErrors": []}})
    made = operations.create_fulfilment(admin, "s", "t", "gid://shopify/FO/1",
                                        [{"id": "L", "quantity": 2}], {"numbers": ["1Z"]}, True)
    assert made == "gid://shopify/Fulfillment/9"
    request = admin.asked[0][1]["fulfillment"]
    assert request == {"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": "gid://shopify/FO/1",
         "fulfillmentOrderLineItems": [{"id": "L", "quantity": 2}]}],
        "trackingInfo": {"numbers": ["1Z"]}, "notifyCustomer": True}


def test_cancelling_a_fulfilment_already_cancelled_is_no_error():
    admin = Admin(FulfillmentCancel={"fulfillmentCancel": {
        "fulfillment": {"id": "F", "status": "CANCELLED"}, "userErrors": ERRORS}})
    operations.cancel_fulfilment(admin, "s", "t", "F")


def test_a_fulfilment_shopify_will_not_cancel_raises():
    admin = Admin(FulfillmentCancel={"fulfillmentCancel": {"fulfillment": None,
                                                           "userErrors": ERRORS}})
    with pytest.raises(ShopifyUserError, match="to cancel the fulfilment: is invalid"):
        operations.cancel_fulfilment(admin, "s", "t", "F")


def test_an_order_without_fulfilments_has_none():
    admin = Admin(OrderFulfillments={"order": None})
    assert operations.order_fulfilments(admin, "s", "t", 5) == []


def test_fulfilments_carry_their_tracking():
    admin = Admin(OrderFulfillments={"order": {"fulfillments": [
        {"id": "F1", "status": "SUCCESS",
         "trackingInfo": [{"company": "UPS", "number": "1Z", "url": None}]}]}})
    [found] = operations.order_fulfilments(admin, "s", "t", 5)
    assert found == operations.Fulfilment("F1", "SUCCESS", (operations.Tracking("UPS", "1Z"),))
    assert admin.asked[0][1] == {"id": "gid://shopify/Order/5"}


def test_a_cut_page_of_lines_is_asked_again_in_full():
    cut = {"order": {"fulfillmentOrders": {"nodes": [
        {"id": "gid://shopify/FulfillmentOrder/1", "status": "CLOSED",
         "lineItems": {"pageInfo": {"hasNextPage": True}, "nodes": []}}]}}}
    admin = Admin(OrderFulfillmentOrders=cut)
    operations.fulfilment_orders(admin, "s", "t", 5, lines=2)
    assert [variables["lines"] for _, variables in admin.asked] == [2, 100]
