"""Shopify's GraphQL order node mapped to the same OrderSnapshot as the REST payload, and gids."""

import copy
import dataclasses

import pytest

from orderflow.fulfilment.types import OrderSnapshot
from orderflow.integrations.shopify.ids import gid_to_id, id_to_gid
from orderflow.integrations.shopify.orders import order_from_graphql, order_from_webhook
from orderflow.integrations.shopify.readers import PayloadError

from .shopify_payloads import GRAPHQL_NODE, webhook

# --- the GraphQL node --------------------------------------------------------------------------


def without_grams(order: OrderSnapshot) -> OrderSnapshot:
    """GraphQL's selection has no weight; every other field must agree."""
    lines = tuple(dataclasses.replace(line, grams=None) for line in order.line_items)
    return dataclasses.replace(order, line_items=lines)


def test_graphql_node_maps_to_the_same_snapshot_as_the_rest_payload():
    rest = webhook()
    rest["line_items"] = rest["line_items"][:2]

    assert order_from_graphql(GRAPHQL_NODE) == without_grams(order_from_webhook(rest))


@pytest.mark.parametrize(
    ("display", "rest"),
    [
        ("PAID", "paid"),
        ("PARTIALLY_PAID", "partially_paid"),
        ("AUTHORIZED", "authorized"),
        (None, None),
    ],
)
def test_graphql_financial_status_uses_the_rest_vocabulary(display, rest):
    node = {**GRAPHQL_NODE, "displayFinancialStatus": display}

    assert order_from_graphql(node).financial_status == rest


def test_graphql_id_falls_back_to_the_gid():
    node = {**GRAPHQL_NODE, "legacyResourceId": None}

    assert order_from_graphql(node).shopify_id == 820982911946154508


def test_graphql_line_ids_must_be_line_item_gids():
    node = copy.deepcopy(GRAPHQL_NODE)
    node["lineItems"]["nodes"][0]["id"] = "gid://shopify/Product/487817672276298554"

    expected = "line item #1 of order 820982911946154508 has a malformed id"
    with pytest.raises(PayloadError, match=expected):
        order_from_graphql(node)


def test_graphql_partial_fulfilment_is_rest_partial():
    node = {**GRAPHQL_NODE, "displayFulfillmentStatus": "PARTIALLY_FULFILLED"}

    assert order_from_graphql(node).fulfillment_status == "partial"


# --- gids --------------------------------------------------------------------------------------


def test_gid_round_trip():
    gid = id_to_gid("LineItem", 487817672276298554)

    assert gid == "gid://shopify/LineItem/487817672276298554"
    assert gid_to_id(gid) == 487817672276298554
    assert gid_to_id(gid, "LineItem") == 487817672276298554


@pytest.mark.parametrize(
    "gid",
    [
        "gid://shopify/LineItem/",
        "gid://shopify/LineItem/1.5",
        "123",
        None,
        123,
        "gid://x/LineItem/1",
    ],
)
def test_malformed_gids_are_rejected(gid):
    with pytest.raises(PayloadError):
        gid_to_id(gid)


def test_a_gid_of_another_kind_is_rejected_when_a_kind_is_asked():
    with pytest.raises(PayloadError, match="not a Shopify LineItem id"):
        gid_to_id("gid://shopify/Order/1", "LineItem")


def test_gid_query_strings_are_ignored():
    assert gid_to_id("gid://shopify/FulfillmentOrder/5?x=1") == 5
