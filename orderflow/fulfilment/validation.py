"""Order validation: may this order be shipped now, and if not, what must the merchant do?

Every reason is a sentence a merchant can act on; an order on hold carries all of its reasons at
once, so fixing one does not reveal the next only after another round trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orderflow.fulfilment.states.orders import OrderState
from orderflow.fulfilment.types import (
    Address,
    FulfilmentPlan,
    LineItem,
    OrderSnapshot,
    StockLine,
    Verdict,
)

ALREADY_FULFILLED = "Nothing left to ship: the order is already fulfilled in Shopify"
NOTHING_TO_SHIP = "Nothing to ship: every item is digital or a gift card"
NO_SHIPPING_ADDRESS = "No shipping address: add one in Shopify"

PAYMENT_REASONS = {
    "pending": "Payment pending: wait for the payment to clear before shipping",
    "partially_paid": "Payment partly paid: collect the balance before shipping",
    "authorized": "Payment authorized but not captured: capture it in Shopify before shipping",
    "voided": "Payment voided: take a new payment or cancel the order",
    "refunded": "Order refunded: the customer has been paid back, so it should not ship",
    "partially_refunded": "Order partly refunded: check what is still to ship",
    "expired": "Payment expired: the authorization lapsed, take a new payment before shipping",
}
UNKNOWN_PAYMENT = "Payment status unknown: check the order's payment in Shopify"

# Countries whose addresses have no postal code, or where it is optional (Ireland's Eircode,
# Hong Kong, the Gulf states, much of Africa and the Caribbean). Carriers accept these without one.
COUNTRIES_WITHOUT_POSTAL_CODES = frozenset(
    {
        "AE", "AG", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG",
        "CI", "CK", "CM", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK",
        "IE", "JM", "KI", "KM", "KN", "KP", "LC", "ML", "MO", "MR", "MS", "MW", "NR", "NU",
        "QA", "RW", "SB", "SC", "SL", "SO", "SR", "ST", "SY", "TD", "TF", "TG", "TK", "TL",
        "TO", "TT", "TV", "UG", "VU", "YE", "ZW",
    }
)  # fmt: skip
COUNTRIES_REQUIRING_PROVINCE = frozenset({"US", "CA", "AU"})


@dataclass(frozen=True)
class ValidationPolicy:
    """What a shop accepts; a shop that ships on authorization adds "authorized"."""

    shippable_financial_statuses: frozenset[str] = frozenset({"paid", "partially_refunded"})
    check_stock: bool = True


def validate_order(
    order: OrderSnapshot,
    plan: FulfilmentPlan | None,
    policy: ValidationPolicy = ValidationPolicy(),
) -> Verdict:
    """The order's next state and, when it cannot ship, every reason why.

    `plan` is None when the fulfilment orders or stock could not be read; the order is then
    judged without Shopify's holds and without stock, and the caller decides what that means.
    """
    if order.cancelled:
        return Verdict(OrderState.CANCELLED.value, (cancellation_reason(order),))
    if not any(needs_shipping(line) for line in order.line_items):
        return Verdict(OrderState.NOTHING_TO_SHIP.value, (NOTHING_TO_SHIP,))
    if order.fulfillment_status == "fulfilled":
        return Verdict(OrderState.NOTHING_TO_SHIP.value, (ALREADY_FULFILLED,))
    reasons = hold_reasons(order, plan, policy)
    if reasons:
        return Verdict(OrderState.ON_HOLD.value, reasons)
    return Verdict(OrderState.READY.value)


def cancellation_reason(order: OrderSnapshot) -> str:
    if order.cancel_reason:
        return f"Cancelled in Shopify (reason: {order.cancel_reason})"
    return "Cancelled in Shopify"


def needs_shipping(line: LineItem) -> bool:
    """A line that puts something in a parcel: physical, not a gift card, quantity left."""
    return line.requires_shipping and not line.gift_card and line.quantity > 0


def hold_reasons(
    order: OrderSnapshot, plan: FulfilmentPlan | None, policy: ValidationPolicy
) -> tuple[str, ...]:
    reasons = [
        *payment_reasons(order.financial_status, policy),
        *address_reasons(order.shipping_address),
        *(plan.on_hold if plan is not None else ()),
    ]
    if policy.check_stock and plan is not None:
        reasons.extend(stock_reasons(order, plan))
    return tuple(dict.fromkeys(reasons))


def payment_reasons(financial_status: str | None, policy: ValidationPolicy) -> list[str]:
    if financial_status in policy.shippable_financial_statuses:
        return []
    return [PAYMENT_REASONS.get(financial_status or "", UNKNOWN_PAYMENT)]


def address_reasons(address: Address | None) -> list[str]:
    if address is None:
        return [NO_SHIPPING_ADDRESS]
    missing = missing_address_parts(address)
    if not missing:
        return []
    return [f"Shipping address is missing the {_join_words(missing)}: correct it in Shopify"]


def missing_address_parts(address: Address) -> list[str]:
    """The parts a carrier needs that the address lacks, named in words."""
    country = (address.country_code or "").strip().upper()
    required = [
        ("recipient name", address.name),
        ("street", address.address1),
        ("city", address.city),
    ]
    if country in COUNTRIES_REQUIRING_PROVINCE:
        required.append(("state/province", address.province_code))
    if country not in COUNTRIES_WITHOUT_POSTAL_CODES:
        required.append(("postal code", address.zip))
    required.append(("country", address.country_code))
    return [words for words, value in required if not (value and value.strip())]


def _join_words(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


def stock_reasons(order: OrderSnapshot, plan: FulfilmentPlan) -> Iterable[str]:
    titles = {line.shopify_id: line.title for line in order.line_items}
    for line in plan.lines:
        if line.on_hand is not None and line.needed > 0 and line.on_hand < line.needed:
            location = line.location_name or plan.location_name or "the assigned location"
            item = _item_label(line, line.title or titles.get(line.line_item_id))
            yield (
                f"Not enough stock at {location}: {item} needs {line.needed}, "
                f"{line.on_hand} on hand"
            )


def _item_label(line: StockLine, title: str | None) -> str:
    if line.sku and title:
        return f"{line.sku} ({title})"
    return line.sku or title or f"line item {line.line_item_id}"
