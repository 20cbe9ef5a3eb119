"""A shop's shipping settings: the stored JSON document read into typed settings, with defaults.

Everything has a sensible default, so a new shop ships the moment it installs; a document that
says something wrong raises `SettingsError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from collections.abc import Mapping

from .emails.render import DEFAULT_COLOUR, KINDS, is_email_address, is_hex_colour, is_https_url
from .fulfilment.carrier_selection import SelectionPolicy
from .fulfilment.packing import DIM_RULES, DimRule
from .fulfilment.types import Address, BoxPreset, Dimensions, Money, PackingDefaults

LABEL_FORMATS = ("PDF", "PNG", "ZPL")
AUTOMATION = ("buy", "plan", "off")

DEFAULT_BOXES = (
    BoxPreset("Small box", Dimensions(Decimal(8), Decimal(6), Decimal(4), "in"), Decimal(120), Decimal(9000)),
    BoxPreset("Medium box", Dimensions(Decimal(12), Decimal(10), Decimal(8), "in"), Decimal(250), Decimal(18000)),
    BoxPreset("Large box", Dimensions(Decimal(18), Decimal(14), Decimal(12), "in"), Decimal(450), Decimal(27000)),
)
DEFAULT_PACKING = PackingDefaults(Decimal(500), Dimensions(Decimal(6), Decimal(4), Decimal(3), "in"))


class SettingsError(ValueError):
    def __init__(self, field_name: str, problem: str):
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name


@dataclass(frozen=True)
class EmailSettings:
    """The shop's own tracking emails (separate from Shopify's shipping confirmation)."""

    customer: frozenset[str] = frozenset(KINDS)  # which customer emails the shop sends
    logo_url: str | None = None  # https:// only
    colour: str = DEFAULT_COLOUR  # #hex, for the header line, links and buttons
    reply_to: str | None = None  # where customers' replies go
    alert_email: str | None = None  # where delivery-problem alerts for the merchant go


_EMAIL_CHECKS = {
    "logo_url": (is_https_url, "give the image's https:// address, such as "
                               "https://cdn.shopify.com/s/files/logo.png"),
    "colour": (is_hex_colour, "give a hex colour such as #2c6ecb"),
    "reply_to": (is_email_address, "give an email address such as help@example.com"),
    "alert_email": (is_email_address, "give an email address such as you@example.com"),
}
EMAIL_KEYS = ("customer", *_EMAIL_CHECKS)


@dataclass(frozen=True)
class ShippingSettings:
    origin: Address | None = None  # None: the fulfilment order's assigned location ships it
    boxes: tuple[BoxPreset, ...] = DEFAULT_BOXES
    packing: PackingDefaults = DEFAULT_PACKING
    policy: SelectionPolicy = field(default_factory=SelectionPolicy)
    label_format: str = "PDF"
    insure_above: Decimal | None = None  # order total above which parcels are insured
    signature_above: Decimal | None = None  # order total above which a signature is required
    notify_customer: bool = False  # Shopify's own shipping confirmation email, instead of ours
    # "buy": ready orders get labels and fulfilments by themselves; "plan": rated and chosen,
    # bought when the merchant says so; "off": nothing until the merchant asks
    automation: str = "buy"
    # Per-SKU packing facts Shopify does not hold: dimensions, own packaging, a weight
    products: dict = field(default_factory=dict)
    # DIM weight per carrier (in³ per lb, and the volume above which it applies): the billable
    # weight of every parcel is shown per carrier, so a merchant sees what a box size costs
    dim_rules: Mapping[str, DimRule] = field(default_factory=lambda: dict(DIM_RULES))
    emails: EmailSettings = EmailSettings()


def _decimal(data: dict, key: str) -> Decimal | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SettingsError(key, f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise SettingsError(key, "must be a positive number")
    return number


def _dimensions(data, key: str) -> Dimensions:
    try:
        length, width, height = (Decimal(str(v)) for v in data[:3])
        unit = data[3] if len(data) > 3 else "in"
    except (TypeError, ValueError, InvalidOperation, IndexError):
        raise SettingsError(key, "give [length, width, height, unit]") from None
    if min(length, width, height) <= 0 or unit not in ("in", "cm"):
        raise SettingsError(key, "dimensions must be positive, in 'in' or 'cm'")
    return Dimensions(length, width, height, unit)


def _boxes(items) -> tuple[BoxPreset, ...]:
    if not isinstance(items, list) or not items:
        raise SettingsError("boxes", "give at least one box")
    return tuple(
        BoxPreset(str(box.get("name") or f"Box {n}"), _dimensions(box.get("inner"), f"boxes[{n}].inner"),
                  _decimal(box, "weight_g") or Decimal(0), _decimal(box, "max_weight_g"))
        for n, box in enumerate(items)
    )


def _policy(data: dict, currency: str) -> SelectionPolicy:
    max_cost = _decimal(data, "max_cost")
    try:
        return SelectionPolicy(
            mode=data.get("mode", "cheapest"),
            excluded_carriers=frozenset(data.get("excluded_carriers", ())),
            excluded_services=frozenset(tuple(pair) for pair in data.get("excluded_services", ())),
            max_cost=Money(max_cost, currency) if max_cost is not None else None,
            preferred=tuple(p if isinstance(p, str) else tuple(p) for p in data.get("preferred", ())),
            preference_margin=_decimal(data, "preference_margin") or Decimal(0),
            min_reliability=data.get("min_reliability"),
            max_days=data.get("max_days"),
        )
    except (ValueError, TypeError) as exc:
        raise SettingsError("policy", str(exc)) from None


def _address(data) -> Address | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SettingsError("origin", "give an address object")
    return Address(**{k: data.get(k) for k in Address.__dataclass_fields__})


@dataclass(frozen=True)
class ProductFacts:
    dimensions: Dimensions | None = None
    ships_alone: bool = False
    weight_g: Decimal | None = None


def _products(data) -> dict[str, ProductFacts]:
    if not isinstance(data, dict):
        raise SettingsError("products", "give an object keyed by SKU")
    return {
        sku: ProductFacts(
            _dimensions(facts["dimensions"], f"products.{sku}.dimensions") if facts.get("dimensions") else None,
            bool(facts.get("ships_alone", False)), _decimal(facts, "weight_g"))
        for sku, facts in data.items()
    }


def _dim_rules(data) -> dict[str, DimRule]:
    """`{"UPS": 139, "USPS": [166, 1728]}`: a divisor, or a divisor and the volume it applies above."""
    if not isinstance(data, dict):
        raise SettingsError("dim_divisors", "give an object keyed by carrier")
    rules = dict(DIM_RULES)
    for carrier, value in data.items():
        parts = value if isinstance(value, list) else [value]
        divisor, above = (parts + [None])[:2]
        if not isinstance(divisor, int) or divisor <= 0:
            raise SettingsError(f"dim_divisors.{carrier}", "give a positive whole number of in³ per lb")
        rules[carrier.casefold()] = DimRule(divisor, above)
    return rules


def _automation(value) -> str:
    if value not in AUTOMATION:
        raise SettingsError("automation", f"use one of {', '.join(AUTOMATION)}")
    return value


def _emails(data) -> EmailSettings:
    if data is None:
        return EmailSettings()
    if not isinstance(data, dict):
        raise SettingsError("emails", "give an object with " + ", ".join(EMAIL_KEYS))
    for key in data:
        if key not in EMAIL_KEYS:
            raise SettingsError(f"emails.{key}", f"unknown setting; use {', '.join(EMAIL_KEYS)}")
    values = {key: _optional(data, key, *check) for key, check in _EMAIL_CHECKS.items()}
    return EmailSettings(customer=_email_kinds(data.get("customer", KINDS)),
                         **{key: value for key, value in values.items() if value is not None})


def _email_kinds(kinds) -> frozenset[str]:
    if not isinstance(kinds, (list, tuple)):
        raise SettingsError("emails.customer",
                            f"give a list of the emails to send: {', '.join(KINDS)}")
    for kind in kinds:
        if kind not in KINDS:
            raise SettingsError("emails.customer", f"{kind!r} is not one of our emails; "
                                f"use any of {', '.join(KINDS)}")
    return frozenset(kinds)


def _optional(data: dict, key: str, valid, advice: str) -> str | None:
    """The value, or None when absent or blank (a cleared form field)."""
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    value = value.strip() if isinstance(value, str) else value
    if not valid(value):
        raise SettingsError(f"emails.{key}", f"{value!r} does not work here: {advice}")
    return value


def read_settings(data: dict | None, currency: str = "USD") -> ShippingSettings:
    data = data or {}
    label_format = str(data.get("label_format", "PDF")).upper()
    if label_format not in LABEL_FORMATS:
        raise SettingsError("label_format", f"use one of {', '.join(LABEL_FORMATS)}")
    packing = DEFAULT_PACKING
    if "default_item" in data:
        item = data["default_item"]
        packing = PackingDefaults(_decimal(item, "weight_g") or DEFAULT_PACKING.item_weight_g,
                                  _dimensions(item.get("dimensions", [6, 4, 3, "in"]), "default_item.dimensions"))
    emails = _emails(data.get("emails"))
    return ShippingSettings(
        origin=_address(data.get("origin")),
        boxes=_boxes(data["boxes"]) if "boxes" in data else DEFAULT_BOXES,
        packing=packing, policy=_policy(data.get("policy", {}), currency),
        label_format=label_format, insure_above=_decimal(data, "insure_above"),
        signature_above=_decimal(data, "signature_above"),
        notify_customer=_notify_customer(data, emails),
        automation=_automation(data.get("automation", "buy")),
        products=_products(data.get("products", {})),
        dim_rules=_dim_rules(data.get("dim_divisors", {})),
        emails=emails,
    )


def _notify_customer(data: dict, emails: EmailSettings) -> bool:
    """Shopify's shipping confirmation goes out unless the app's own "shipped" email does: one
    of the two, never both, so the customer is not told twice."""
    ours = "shipped" in emails.customer
    if "notify_customer" not in data:
        return not ours
    notify = bool(data["notify_customer"])
    if notify and ours:
        raise SettingsError("notify_customer", "Shopify's shipping confirmation and the app's "
                            "\"shipped\" email would both reach the customer: turn one of them off")
    return notify
