"""A shop's shipping settings: the stored JSON document read into typed settings, with defaults.

Everything has a sensible default, so a new shop ships the moment it installs; a document that
says something wrong raises `SettingsError` naming the field by its path ("emails.colour",
"boxes.0.inner", "origins.Brooklyn.zip").

`read_settings` and `settings_problems` are the way in, and callers import from here. Each
section is read by its own module: `settings_addresses`, `settings_packing`, `settings_policy`,
`settings_emails`, `settings_carrier_account`; the shared readers and `SettingsError` are in
`settings_values`.

The document (`ShopSettings.data`), every key optional:

- `origin`: the default ship-from address (`Address` fields); absent: the fulfilment order's
  assigned Shopify location's own address.
- `origins`: ship-from addresses per Shopify location, `{"<location name>": {address}}`; they win
  over `origin` for orders that location fulfils (`origin_for`).
- `boxes`: `[{"name", "inner": [l, w, h, "in"|"cm"], "weight_g", "max_weight_g"}]`;
  `default_item`: `{"weight_g", "dimensions": [l, w, h, unit]}` for items Shopify gives no
  facts for.
- `policy`: `{"mode", "excluded_carriers": ["UPS"], "excluded_services": [["UPS", "Ground"]],
  "max_cost", "preferred": ["UPS", ["USPS", "Priority"]], "preference_margin": 0.05,
  "min_reliability": 0.9, "max_days": 3}` (shares are 0..1).
- `label_format` (PDF, PNG, ZPL), `insure_above`, `signature_above`, `automation` (buy, plan, off),
  `notify_customer` (Shopify's own shipping confirmation), `products`, `dim_divisors`.
- `emails`: `{"customer": [kinds on], "templates": {"<kind>": {"subject", "intro"}}, "logo_url",
  "colour", "reply_to", "alert_email"}`.
- `carrier_account`: the shop's own EasyPost key, `{"label", "api_key": <encrypted with
  svc.box>, "last4", "mode": "test"|"production", "updated_at"}`; never stored or shown in clear.
  The shop's addresses, rates, labels, refunds and trackers go through it (`Services.carrier_for`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ..carrier_selection import SelectionPolicy
from ..packing import DIM_RULES, DimRule
from ..types import Address, BoxPreset, PackingDefaults
from .addresses import (
    ADDRESS_FIELDS,
    address_problems,
    address_problems_by_path,
    read_address,
    read_origins,
)
from .carrier_account import (
    CarrierAccount,
    carrier_key_mode,
    carrier_key_problem,
    read_carrier_account,
)
from .emails import EmailSettings, read_emails
from .packing import (
    DEFAULT_BOXES,
    DEFAULT_PACKING,
    ProductFacts,
    read_boxes,
    read_dim_rules,
    read_packing,
    read_products,
)
from .policy import read_policy
from .values import SettingsError, read_decimal

__all__ = [
    "ADDRESS_FIELDS", "AUTOMATION", "DEFAULT_BOXES", "DEFAULT_PACKING", "LABEL_FORMATS",
    "CarrierAccount", "EmailSettings", "ProductFacts", "SettingsError", "ShippingSettings",
    "address_problems", "carrier_key_mode", "carrier_key_problem", "origin_for", "read_settings",
    "settings_problems",
]

LABEL_FORMATS = ("PDF", "PNG", "ZPL")
AUTOMATION = ("buy", "plan", "off")


@dataclass(frozen=True)
class ShippingSettings:
    origin: Address | None = None  # None: the fulfilment order's assigned location ships it
    origins: Mapping[str, Address] = field(default_factory=dict)  # per Shopify location name
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
    carrier_account: CarrierAccount | None = None


def origin_for(settings: ShippingSettings, location_name: str | None) -> Address | None:
    """Where a fulfilment order from this Shopify location ships from, by the shop's settings;
    None: the location's own address."""
    wanted = (location_name or "").strip().casefold()
    for name, address in settings.origins.items():
        if name.strip().casefold() == wanted:
            return address
    return settings.origin


def _automation(value) -> str:
    if value not in AUTOMATION:
        raise SettingsError("automation", f"use one of {', '.join(AUTOMATION)}")
    return value


def read_settings(data: dict | None, currency: str = "USD") -> ShippingSettings:
    data = data or {}
    label_format = str(data.get("label_format", "PDF")).upper()
    if label_format not in LABEL_FORMATS:
        raise SettingsError("label_format", f"use one of {', '.join(LABEL_FORMATS)}")
    packing = read_packing(data.get("default_item"))
    emails = read_emails(data.get("emails"))
    return ShippingSettings(
        origin=read_address(data.get("origin")), origins=read_origins(data.get("origins")),
        boxes=read_boxes(data["boxes"]) if "boxes" in data else DEFAULT_BOXES,
        packing=packing, policy=read_policy(data.get("policy", {}), currency),
        label_format=label_format, insure_above=read_decimal(data, "insure_above"),
        signature_above=read_decimal(data, "signature_above"),
        notify_customer=_notify_customer(data, emails),
        automation=_automation(data.get("automation", "buy")),
        products=read_products(data.get("products", {})),
        dim_rules=read_dim_rules(data.get("dim_divisors", {})),
        emails=emails, carrier_account=read_carrier_account(data.get("carrier_account")),
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


def settings_problems(data: dict, currency: str = "USD") -> dict[str, str]:
    """Every problem of a settings document by field path, where `read_settings` stops at the
    first: each setting is read on its own (each address field, each email and policy setting),
    then the whole document for the rules between settings (notify_customer)."""
    problems = address_problems_by_path(data)
    for part in [*_parts(data), data]:
        try:
            read_settings(part, currency)
        except SettingsError as exc:
            problems.setdefault(exc.field, exc.problem)
    return problems


def _parts(data: dict) -> list[dict]:
    parts = [{key: value} for key, value in data.items()
             if key not in ("emails", "policy", "notify_customer")]
    for section in ("emails", "policy"):
        value = data.get(section)
        leaves = _leaves(value) if isinstance(value, dict) else [value] if section in data else []
        parts += [{section: leaf} for leaf in leaves]
    return parts


def _leaves(section: dict) -> list:
    leaves = []
    for key, value in section.items():
        if key == "templates" and isinstance(value, dict):
            leaves += [{key: {kind: {k: v}}} for kind, parts in value.items()
                       for k, v in (parts.items() if isinstance(parts, dict) else [])]
            leaves += [{key: {kind: parts}} for kind, parts in value.items()
                       if not isinstance(parts, dict)]
        else:
            leaves.append({key: value})
    return leaves
