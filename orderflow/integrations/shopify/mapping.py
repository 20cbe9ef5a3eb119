"""Pure functions from Shopify's JSON to our types.

Two shapes describe an order: the REST body of the `orders/*` webhooks and the Admin GraphQL node
selected by `queries.ORDER_FIELDS`. Both map to the same `OrderSnapshot`.

Whatever JSON value arrives, a function here returns our types or raises `PayloadError` with a
message naming the part it cannot use; nothing else escapes. Missing keys and nulls are normal in
real stores, so only what we cannot work without is required; a value of the wrong type is an
error, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from orderflow.fulfilment.types import (
    Address,
    Customer,
    FulfilmentPlan,
    LineItem,
    Money,
    OrderSnapshot,
    StockLine,
)

_T = TypeVar("_T")

_MAX_ID = 2**63 - 1  # ids are stored in signed 64-bit columns
_MAX_COUNT = 2**31 - 1
_NO_CURRENCY = "XXX"  # ISO 4217's code for "no currency", for a payload that names none
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_GID = re.compile(r"gid://shopify/([A-Za-z][A-Za-z0-9]*)/([0-9]{1,19})(\?.*)?", re.DOTALL)
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]*")

OPEN_FULFILMENT_STATUSES = frozenset({"OPEN", "IN_PROGRESS", "SCHEDULED", "ON_HOLD"})

_REST_FULFILLMENT_STATUS = {
    "FULFILLED": "fulfilled",
    "PARTIALLY_FULFILLED": "partial",
    "RESTOCKED": "restocked",
}

_HOLD_REASONS = {
    "AWAITING_PAYMENT": "awaiting payment",
    "AWAITING_RETURN_ITEMS": "awaiting the returned items of an exchange",
    "HIGH_RISK_OF_FRAUD": "high risk of fraud",
    "INCORRECT_ADDRESS": "incorrect address",
    "INVENTORY_OUT_OF_STOCK": "inventory out of stock",
    "ONLINE_STORE_POST_PURCHASE_CROSS_SELL": "post-purchase offer still open",
    "UNKNOWN_DELIVERY_DATE": "unknown delivery date",
}

_REST_ADDRESS_KEYS = {
    "name": "name",
    "company": "company",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "province": "province",
    "province_code": "province_code",
    "zip": "zip",
    "country": "country",
    "country_code": "country_code",
    "phone": "phone",
}

_GRAPHQL_ADDRESS_KEYS = {
    **_REST_ADDRESS_KEYS,
    "province_code": "provinceCode",
    "country_code": "countryCodeV2",
}


class PayloadError(ValueError):
    """A Shopify payload we cannot use; the message says which part and why."""


@dataclass(frozen=True)
class FulfilmentOrderLine:
    id: str  # FulfillmentOrderLineItem gid
    line_item_id: int
    remaining: int
    requires_shipping: bool = True
    sku: str | None = None
    inventory_item_id: str | None = None  # InventoryItem gid


@dataclass(frozen=True)
class OpenFulfilmentOrder:
    """A fulfilment order Shopify still expects to be fulfilled, at its assigned location."""

    id: str  # FulfillmentOrder gid
    status: str  # GraphQL enum: OPEN, IN_PROGRESS, SCHEDULED or ON_HOLD
    location_id: str | None  # Location gid; None when the location was deleted
    location_name: str | None
    holds: tuple[str, ...] = ()  # readable reasons, for an ON_HOLD one
    lines: tuple[FulfilmentOrderLine, ...] = ()


# --- ids ---------------------------------------------------------------------------------------


def gid_to_id(gid: str, kind: str | None = None) -> int:
    """The numeric id in `gid://shopify/<Kind>/<id>`, checking the kind when one is given."""
    match = _GID.fullmatch(gid) if isinstance(gid, str) else None
    if match is None or (kind is not None and match[1] != kind):
        raise PayloadError(f"{_shorten(gid)} is not a Shopify {kind or 'global'} id")
    number = int(match[2])
    if not 0 < number <= _MAX_ID:
        raise PayloadError(f"{_shorten(gid)} has an out-of-range id")
    return number


def id_to_gid(kind: str, id: int) -> str:
    if not (isinstance(kind, str) and _KIND.fullmatch(kind)):
        raise ValueError(f"{kind!r} is not a Shopify resource kind")
    if isinstance(id, bool) or not isinstance(id, int) or not 0 < id <= _MAX_ID:
        raise ValueError(f"{id!r} is not a Shopify id")
    return f"gid://shopify/{kind}/{id}"


def _shorten(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- reading one JSON value --------------------------------------------------------------------


class _Unusable(Exception):
    """A JSON value of the wrong shape; `problem` completes "<where> has <problem> <key>"."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def _id(value: Any) -> int:
    """A positive 64-bit id from a JSON integer or a digit string; never through a float."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Unusable("a non-integer")
    if not 0 < value <= _MAX_ID:
        raise _Unusable("an out-of-range")
    return value


def _gid(kind: str) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        try:
            return gid_to_id(value, kind)
        except PayloadError:
            raise _Unusable("a malformed") from None

    return parse


def _canonical_gid(kind: str) -> Callable[[Any], str]:
    """A gid in one spelling, so gids from different responses compare equal as dict keys."""
    parse_id = _gid(kind)
    return lambda value: id_to_gid(kind, parse_id(value))


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Unusable("a non-integer")
    if abs(value) > _MAX_COUNT:
        raise _Unusable("an out-of-range")
    return value


def _count(value: Any) -> int:
    if _integer(value) < 0:
        raise _Unusable("a negative")
    return value


def _clamped_count(value: Any) -> int:
    """Shopify can report a negative count left to fulfil after edits; that means none left."""
    return max(_integer(value), 0)


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        raise _Unusable("a non-text")
    return value.strip() or None


def _lower_text(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text else None


def _upper_text(value: Any) -> str | None:
    text = _text(value)
    return text.upper() if text else None


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Unusable("a non-boolean")
    return value


def _timestamp(value: Any) -> datetime:
    """An aware datetime in UTC; a timestamp without an offset is taken as UTC."""
    if not isinstance(value, str):
        raise _Unusable("an unreadable")
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _Unusable("an unreadable") from None


def _amount(value: Any) -> Decimal:
    """Money from Shopify's decimal strings; floats are refused, they have already lost cents."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and _AMOUNT.fullmatch(value.strip()):
        return Decimal(value.strip())
    raise _Unusable("an unreadable")


def _currency(value: Any) -> str:
    if isinstance(value, str) and _CURRENCY.fullmatch(value.strip()):
        return value.strip().upper()
    raise _Unusable("an unknown")


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Unusable("a non-list")
    return value


def _text_list(value: Any) -> list[str | None]:
    return [_text(item) for item in _list(value)]


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Unusable("a non-object")
    return value


def _default(value: _T | None, default: _T) -> _T:
    return default if value is None else value


@dataclass(frozen=True)
class _Fields:
    """Typed reads from one JSON object; every failure names the object (`where`) and the key."""

    data: dict[str, Any]
    where: str

    @classmethod
    def of(cls, value: Any, where: str) -> _Fields:
        if not isinstance(value, dict):
            raise PayloadError(f"{where} is not a JSON object")
        return cls(value, where)

    def renamed(self, where: str) -> _Fields:
        return _Fields(self.data, where)

    def get(self, key: str, parse: Callable[[Any], _T]) -> _T | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return parse(value)
        except _Unusable as unusable:
            raise PayloadError(f"{self.where} has {unusable.problem} {key}") from None

    def need(self, key: str, parse: Callable[[Any], _T]) -> _T:
        value = self.get(key, parse)
        if value is None:
            raise PayloadError(f"{self.where} has no {key}")
        return value

    def obj(self, key: str) -> _Fields | None:
        value = self.get(key, _object)
        return None if value is None else _Fields(value, f"{self.where} {key}")

    def need_obj(self, key: str) -> _Fields:
        return _Fields(self.need(key, _object), f"{self.where} {key}")

    def at(self, *keys: str) -> _Fields | None:
        fields: _Fields | None = self
        for key in keys:
            fields = fields.obj(key) if fields is not None else None
        return fields

    def nodes(self, key: str, noun: str) -> Iterable[_Fields]:
        """The nodes of the GraphQL connection at `key`, named as parts of this object."""
        return self.need_obj(key).renamed(self.where).each("nodes", noun)

    def each(self, key: str, noun: str) -> Iterable[_Fields]:
        """The objects of a required list, each named by its position until it names itself."""
        for position, value in enumerate(self.need(key, _list), start=1):
            yield _Fields.of(value, f"{noun} #{position} of {self.where}")


# --- orders: shared pieces ---------------------------------------------------------------------


def _full_name(first: str | None, last: str | None) -> str | None:
    return " ".join(part for part in (first, last) if part) or None


def _rest_address(address: _Fields | None) -> Address | None:
    return _address(address, _REST_ADDRESS_KEYS, "first_name", "last_name")


def _graphql_address(address: _Fields | None) -> Address | None:
    return _address(address, _GRAPHQL_ADDRESS_KEYS, "firstName", "lastName")


def _address(
    address: _Fields | None, keys: dict[str, str], first: str, last: str
) -> Address | None:
    """An address; one with no field filled in is no address at all."""
    if address is None:
        return None
    parts = {field: address.get(key, _text) for field, key in keys.items()}
    parts["name"] = parts["name"] or _full_name(address.get(first, _text), address.get(last, _text))
    for code in ("province_code", "country_code"):
        parts[code] = parts[code].upper() if parts[code] else None
    return Address(**parts) if any(parts.values()) else None


def _tags(tags: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(tag for tag in tags if tag)


# --- orders: the REST webhook body -------------------------------------------------------------


def order_from_webhook(payload: Any) -> OrderSnapshot:
    """The order in the REST body of an `orders/create`, `orders/updated` or `orders/cancelled`
    webhook (also the REST `order` resource)."""
    order = _Fields.of(payload, "order payload")
    shopify_id = order.need("id", _id)
    order = order.renamed(f"order {shopify_id}")
    updated_at = order.need("updated_at", _timestamp)
    currency = _default(order.get("currency", _currency), _NO_CURRENCY)
    return OrderSnapshot(
        shopify_id=shopify_id,
        name=order.get("name", _text) or _fallback_name(order, shopify_id),
        created_at=_default(order.get("created_at", _timestamp), updated_at),
        updated_at=updated_at,
        total_price=Money(_default(order.get("total_price", _amount), Decimal(0)), currency),
        financial_status=order.get("financial_status", _lower_text),
        fulfillment_status=order.get("fulfillment_status", _lower_text),
        email=order.get("email", _text) or order.get("contact_email", _text),
        cancelled_at=order.get("cancelled_at", _timestamp),
        cancel_reason=order.get("cancel_reason", _lower_text),
        customer=_rest_customer(order.obj("customer")),
        shipping_address=_rest_address(order.obj("shipping_address")),
        billing_address=_rest_address(order.obj("billing_address")),
        line_items=tuple(
            _rest_line_item(line, currency) for line in order.each("line_items", "line item")
        ),
        test=_default(order.get("test", _flag), False),
        note=order.get("note", _text),
        tags=_tags(tag.strip() for tag in (order.get("tags", _text) or "").split(",")),
    )


def _fallback_name(order: _Fields, shopify_id: int) -> str:
    number = order.get("order_number", _id)
    return f"#{number}" if number is not None else str(shopify_id)


def _rest_customer(customer: _Fields | None) -> Customer | None:
    """The customer; one without an id (a guest, or redacted) is left out."""
    shopify_id = customer.get("id", _id) if customer is not None else None
    if customer is None or shopify_id is None:
        return None
    return Customer(
        shopify_id=shopify_id,
        email=customer.get("email", _text),
        first_name=customer.get("first_name", _text),
        last_name=customer.get("last_name", _text),
        phone=customer.get("phone", _text),
    )


def _rest_line_item(line: _Fields, currency: str) -> LineItem:
    """A line item; a line without a price is taken as free (Shopify always sends one)."""
    shopify_id = line.need("id", _id)
    line = line.renamed(f"line item {shopify_id}")
    return LineItem(
        shopify_id=shopify_id,
        title=line.get("title", _text) or line.get("name", _text) or "",
        # current_quantity follows order edits (a removed line drops to 0); quantity never does
        quantity=_default(line.get("current_quantity", _count), line.need("quantity", _count)),
        price=Money(_default(line.get("price", _amount), Decimal(0)), currency),
        sku=line.get("sku", _text),
        requires_shipping=_default(line.get("requires_shipping", _flag), True),
        gift_card=_default(line.get("gift_card", _flag), False),
        variant_id=line.get("variant_id", _id),
        product_id=line.get("product_id", _id),
        grams=line.get("grams", _count),
        fulfillable_quantity=line.get("fulfillable_quantity", _clamped_count),
    )


# --- orders: the GraphQL node ------------------------------------------------------------------


def order_from_graphql(node: Any) -> OrderSnapshot:
    """The order in a node selected by `queries.ORDER_FIELDS`."""
    order = _Fields.of(node, "order node")
    shopify_id = _graphql_id(order, "Order")
    order = order.renamed(f"order {shopify_id}")
    updated_at = order.need("updatedAt", _timestamp)
    total = _graphql_money(order.at("totalPriceSet", "shopMoney"), _NO_CURRENCY)
    return OrderSnapshot(
        shopify_id=shopify_id,
        name=order.get("name", _text) or str(shopify_id),
        created_at=_default(order.get("createdAt", _timestamp), updated_at),
        updated_at=updated_at,
        total_price=total,
        financial_status=order.get("displayFinancialStatus", _lower_text),
        fulfillment_status=order.get("displayFulfillmentStatus", _rest_fulfillment_status),
        email=order.get("email", _text),
        cancelled_at=order.get("cancelledAt", _timestamp),
        cancel_reason=order.get("cancelReason", _lower_text),
        customer=_graphql_customer(order.obj("customer")),
        shipping_address=_graphql_address(order.obj("shippingAddress")),
        billing_address=_graphql_address(order.obj("billingAddress")),
        line_items=tuple(
            _graphql_line_item(line, total.currency)
            for line in order.nodes("lineItems", "line item")
        ),
        test=_default(order.get("test", _flag), False),
        note=order.get("note", _text),
        tags=_tags(order.get("tags", _text_list) or ()),
    )


def _graphql_id(fields: _Fields, kind: str) -> int:
    legacy = fields.get("legacyResourceId", _id)
    return legacy if legacy is not None else fields.need("id", _gid(kind))


def _rest_fulfillment_status(display_status: Any) -> str | None:
    """GraphQL's display status in the REST vocabulary, where an unfulfilled order has null."""
    return _REST_FULFILLMENT_STATUS.get(_upper_text(display_status) or "")


def _graphql_money(money: _Fields | None, currency: str) -> Money:
    """A MoneyV2 (`amount`, `currencyCode`); absent parts are zero in the given currency."""
    if money is None:
        return Money(Decimal(0), currency)
    return Money(
        _default(money.get("amount", _amount), Decimal(0)),
        _default(money.get("currencyCode", _currency), currency),
    )


def _graphql_customer(customer: _Fields | None) -> Customer | None:
    if customer is None:
        return None
    legacy = customer.get("legacyResourceId", _id)
    shopify_id = legacy if legacy is not None else customer.get("id", _gid("Customer"))
    if shopify_id is None:
        return None
    email = customer.at("defaultEmailAddress")
    phone = customer.at("defaultPhoneNumber")
    return Customer(
        shopify_id=shopify_id,
        email=email.get("emailAddress", _text) if email else None,
        first_name=customer.get("firstName", _text),
        last_name=customer.get("lastName", _text),
        phone=phone.get("phoneNumber", _text) if phone else None,
    )


def _graphql_line_item(line: _Fields, currency: str) -> LineItem:
    shopify_id = line.need("id", _gid("LineItem"))
    line = line.renamed(f"line item {shopify_id}")
    variant, product = line.obj("variant"), line.obj("product")
    return LineItem(
        shopify_id=shopify_id,
        title=line.get("title", _text) or "",
        quantity=line.need("quantity", _count),
        price=_graphql_money(line.at("originalUnitPriceSet", "shopMoney"), currency),
        sku=line.get("sku", _text),
        requires_shipping=_default(line.get("requiresShipping", _flag), True),
        gift_card=_default(line.get("isGiftCard", _flag), False),
        variant_id=variant.get("legacyResourceId", _id) if variant else None,
        product_id=product.get("legacyResourceId", _id) if product else None,
        fulfillable_quantity=line.get("unfulfilledQuantity", _clamped_count),
    )


# --- fulfilment orders and stock ---------------------------------------------------------------


def open_fulfilment_orders(data: Any) -> list[OpenFulfilmentOrder]:
    """The fulfilment orders still to be fulfilled, from an `OrderFulfillmentOrders` response."""
    order = _Fields.of(data, "fulfilment orders response").obj("order")
    if order is None:
        raise PayloadError("order not found")
    nodes = order.renamed("order").nodes("fulfillmentOrders", "fulfilment order")
    return [fo for fo in map(_fulfilment_order, nodes) if fo is not None]


def _fulfilment_order(fo: _Fields) -> OpenFulfilmentOrder | None:
    """The fulfilment order if it is open; a closed or cancelled one is None."""
    gid = fo.need("id", _canonical_gid("FulfillmentOrder"))
    fo = fo.renamed(f"fulfilment order {gid}")
    status = fo.need("status", _upper_text)
    if status not in OPEN_FULFILMENT_STATUSES:
        return None
    location = fo.obj("assignedLocation")
    holds = tuple(_hold_reason(hold) for hold in _optional_each(fo, "fulfillmentHolds", "hold"))
    if status == "ON_HOLD" and not holds:
        holds = ("Held in Shopify",)
    return OpenFulfilmentOrder(
        id=gid,
        status=status,
        location_id=_location_id(location),
        location_name=location.get("name", _text) if location else None,
        holds=holds,
        lines=tuple(map(_fulfilment_order_line, fo.nodes("lineItems", "line"))),
    )


def _optional_each(fields: _Fields, key: str, noun: str) -> Iterable[_Fields]:
    return fields.each(key, noun) if fields.data.get(key) is not None else ()


def _location_id(assigned: _Fields | None) -> str | None:
    location = assigned.obj("location") if assigned else None
    return location.get("id", _canonical_gid("Location")) if location else None


def _hold_reason(hold: _Fields) -> str:
    """A hold as a sentence: "Held in Shopify: awaiting payment (notes)"."""
    reason = hold.get("reason", _upper_text)
    notes = hold.get("reasonNotes", _text)
    words = _HOLD_REASONS.get(reason or "") or (reason or "").lower().replace("_", " ")
    if reason == "OTHER" or not words:
        words, notes = notes or "no reason given", None
    return f"Held in Shopify: {words}" + (f" ({notes})" if notes else "")


def _fulfilment_order_line(line: _Fields) -> FulfilmentOrderLine:
    gid = line.need("id", _canonical_gid("FulfillmentOrderLineItem"))
    line = line.renamed(f"fulfilment order line {gid}")
    return FulfilmentOrderLine(
        id=gid,
        line_item_id=line.need_obj("lineItem").need("id", _gid("LineItem")),
        remaining=line.need("remainingQuantity", _count),
        requires_shipping=_default(line.get("requiresShipping", _flag), True),
        sku=line.get("sku", _text),
        inventory_item_id=line.get("inventoryItemId", _canonical_gid("InventoryItem")),
    )


def inventory_levels(data: Any) -> dict[str, int | None]:
    """On-hand quantity per inventory item gid, from an `InventoryAtLocation` response.

    None means the item's inventory is not tracked; an item never stocked at the location has
    no inventory level there, which is 0 on hand.
    """
    levels: dict[str, int | None] = {}
    for position, node in enumerate(_Fields.of(data, "inventory response").need("nodes", _list), 1):
        if node is None:
            continue  # an id Shopify does not know (deleted item)
        item = _Fields.of(node, f"inventory node #{position}")
        gid = item.get("id", _canonical_gid("InventoryItem"))
        if gid is not None:
            levels[gid] = _on_hand(item.renamed(f"inventory item {gid}"))
    return levels


def _on_hand(item: _Fields) -> int | None:
    if not item.need("tracked", _flag):
        return None
    level = item.obj("inventoryLevel")
    if level is None:
        return 0
    for quantity in level.each("quantities", "quantity"):
        if quantity.get("name", _text) == "on_hand":
            return quantity.need("quantity", _integer)
    raise PayloadError(f"{item.where} has no on_hand quantity")


def fulfilment_plan(
    fulfilment_orders: Iterable[OpenFulfilmentOrder],
    inventory: dict[str, dict[str, int | None]],
) -> FulfilmentPlan:
    """Where Shopify will ship from, what each shipped line needs there, and Shopify's holds.

    `inventory` maps a location gid to `inventory_levels` read at that location. An item whose
    level was not read counts as not tracked: it cannot hold the order for stock.
    """
    fulfilment_orders = tuple(fulfilment_orders)
    shipping = [fo for fo in fulfilment_orders if any(map(_ships, fo.lines))]
    return FulfilmentPlan(
        location_name=shipping[0].location_name if shipping else None,
        lines=_stock_lines(shipping, inventory),
        on_hold=tuple(dict.fromkeys(hold for fo in fulfilment_orders for hold in fo.holds)),
    )


def _ships(line: FulfilmentOrderLine) -> bool:
    return line.requires_shipping and line.remaining > 0


def _stock_lines(
    fulfilment_orders: Iterable[OpenFulfilmentOrder],
    inventory: dict[str, dict[str, int | None]],
) -> tuple[StockLine, ...]:
    """One StockLine per order line and location, summing fulfilment orders that split it."""
    lines: dict[tuple[int, str | None], StockLine] = {}
    for fo in fulfilment_orders:
        stock = inventory.get(fo.location_id or "", {})
        for line in filter(_ships, fo.lines):
            earlier = lines.get((line.line_item_id, fo.location_id))
            lines[(line.line_item_id, fo.location_id)] = StockLine(
                line_item_id=line.line_item_id,
                needed=line.remaining + (earlier.needed if earlier else 0),
                on_hand=stock.get(line.inventory_item_id or ""),
                sku=line.sku,
                location_name=fo.location_name,
            )
    return tuple(lines.values())
