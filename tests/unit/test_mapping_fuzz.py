"""Nothing but a snapshot or a PayloadError, whatever arrives: any value anywhere in a Shopify
payload maps or is refused with a reason, never crashes."""

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderflow.fulfilment.types import FulfilmentPlan, OrderSnapshot
from orderflow.integrations.shopify.fulfilment_orders import open_fulfilment_orders
from orderflow.integrations.shopify.inventory import fulfilment_plan, inventory_levels
from orderflow.integrations.shopify.orders import order_from_graphql, order_from_webhook
from orderflow.integrations.shopify.readers import PayloadError

from .shopify_payloads import FULFILMENT_ORDERS, GRAPHQL_NODE, WEBHOOK, webhook, webhook_line

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**53, max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "NaN",
            "Infinity",
            "1e999999",
            "820982911946154508",
            "99999999999999999999",
            "-1",
            "",
            " ",
            "2021-12-31T19:00:00-05:00",
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:00:00+01:00",
            "gid://shopify/LineItem/1",
            "gid://shopify/LineItem/99999999999999999999",
            "ON_HOLD",
            "on_hand",
        ]
    ),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


def paths(value, prefix=()):
    """Every place in a JSON document where a value can be put or removed."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def substituted(document, path, value):
    document = copy.deepcopy(document)
    *parents, last = path
    target = document
    for key in parents:
        target = target[key]
    if value is _DELETE and isinstance(target, dict):
        del target[last]
    else:
        target[last] = None if value is _DELETE else value
    return document


_DELETE = object()
REST_PATHS = sorted(paths(WEBHOOK), key=repr)
GRAPHQL_PATHS = sorted(paths(GRAPHQL_NODE), key=repr)
FULFILMENT_PATHS = sorted(paths(FULFILMENT_ORDERS), key=repr)
fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def maps_or_refuses(function, document):
    try:
        return function(document)
    except PayloadError as error:
        assert str(error)
        return None


@fuzz
@given(st.sampled_from(REST_PATHS), json_values | st.just(_DELETE))
def test_any_value_anywhere_in_a_webhook_gives_a_snapshot_or_a_payload_error(path, value):
    result = maps_or_refuses(order_from_webhook, substituted(WEBHOOK, path, value))

    assert result is None or isinstance(result, OrderSnapshot)


@fuzz
@given(st.sampled_from(GRAPHQL_PATHS), json_values | st.just(_DELETE))
def test_any_value_anywhere_in_a_graphql_node_gives_a_snapshot_or_a_payload_error(path, value):
    result = maps_or_refuses(order_from_graphql, substituted(GRAPHQL_NODE, path, value))

    assert result is None or isinstance(result, OrderSnapshot)


@fuzz
@given(st.sampled_from(FULFILMENT_PATHS), json_values | st.just(_DELETE))
def test_any_value_anywhere_in_fulfilment_orders_gives_orders_or_a_payload_error(path, value):
    orders = maps_or_refuses(open_fulfilment_orders, substituted(FULFILMENT_ORDERS, path, value))

    if orders is not None:
        assert isinstance(fulfilment_plan(orders, {}), FulfilmentPlan)


@fuzz
@given(json_values)
def test_any_json_document_gives_a_result_or_a_payload_error(value):
    mappers = (order_from_webhook, order_from_graphql, open_fulfilment_orders, inventory_levels)
    for function in mappers:
        maps_or_refuses(function, value)
    maps_or_refuses(inventory_levels, {"nodes": [value]})
    maps_or_refuses(order_from_webhook, {**WEBHOOK, "line_items": [value]})


@fuzz
@given(json_values)
def test_any_value_as_a_line_item_field_gives_a_snapshot_or_a_payload_error(value):
    for key in ("id", "quantity", "price", "requires_shipping", "fulfillable_quantity", "grams"):
        maps_or_refuses(order_from_webhook, webhook_line(**{key: value}))


def test_a_float_id_never_maps():
    payload = webhook(id=float(WEBHOOK["id"]))

    with pytest.raises(PayloadError):
        order_from_webhook(payload)
