"""A shop's shipping settings: the stored JSON document read into typed settings, with defaults.

Everything has a sensible default, so a new shop ships the moment it installs; a document that
says something wrong raises `SettingsError` naming the field by its path ("emails.colour",
"boxes.0.inner", "origins.Brooklyn.zip").

The document (`ShopSettings.data`), every key optional:

- `origin`: the default ship-from address (`Address` fields); absent: the fulfilment order's
  assigned Shopify location's own address.
- `origins`: ship-from addresses per Shopify location, `{"<location name>": {address}}`; they win
  over `origin` for orders that location fulfils (`origin_for`).
- `boxes`: `[{"name", "inner": [l, w, h, "in"|"cm"], "weight_g", "max_weight_g"}]`;
  `default_item`: `{"weight_g", "dimensions": [l, w, h, unit]}` for items Shopify gives no facts for.
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

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .carrier_selection import MODES, SelectionPolicy
from .email_rules import (
    DEFAULT_COLOUR,
    INTRO_MAX,
    KINDS,
    SUBJECT_MAX,
    Wording,
    is_email_address,
    is_hex_colour,
    is_https_url,
    wording_problem,
)
from .packing import DIM_RULES, DimRule
from .types import Address, BoxPreset, Dimensions, Money, PackingDefaults

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
        self.problem = problem


@dataclass(frozen=True)
class EmailSettings:
    """The shop's own tracking emails (separate from Shopify's shipping confirmation)."""

    customer: frozenset[str] = frozenset(KINDS)  # which customer emails the shop sends
    logo_url: str | None = None  # https:// only
    colour: str = DEFAULT_COLOUR  # #hex, for the header line, links and buttons
    reply_to: str | None = None  # where customers' replies go
    alert_email: str | None = None  # where delivery-problem alerts for the merchant go
    # The merchant's own subject line and opening paragraph, per kind of customer email
    templates: Mapping[str, Wording] = field(default_factory=dict)

    def wording(self, kind: str) -> Wording | None:
        return self.templates.get(kind)


_EMAIL_CHECKS = {
    "logo_url": (is_https_url, "give the image's https:// address, such as "
                               "https://cdn.shopify.com/s/files/logo.png"),
    "colour": (is_hex_colour, "give a hex colour such as #2c6ecb"),
    "reply_to": (is_email_address, "give an email address such as help@example.com"),
    "alert_email": (is_email_address, "give an email address such as you@example.com"),
}
EMAIL_KEYS = ("customer", *_EMAIL_CHECKS, "templates")
WORDING_LIMITS = {"subject": SUBJECT_MAX, "intro": INTRO_MAX}


@dataclass(frozen=True)
class CarrierAccount:
    """The shop's own EasyPost account; the key stays encrypted until the carrier client needs it
    (`svc.box.decrypt(account.api_key_encrypted)`)."""

    api_key_encrypted: str = field(repr=False)
    last4: str
    mode: str  # "test" or "production", from the key's prefix
    label: str | None = None


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


def _decimal(data: dict, key: str, path: str | None = None) -> Decimal | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SettingsError(path or key, f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise SettingsError(path or key, "must be a positive number")
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
    return tuple(_box(box, f"boxes.{n}") for n, box in enumerate(items))


def _box(box, path: str) -> BoxPreset:
    if not isinstance(box, dict):
        raise SettingsError(path, "give a box object with a name and inner dimensions")
    return BoxPreset(str(box.get("name") or f"Box {path.rsplit('.', 1)[-1]}"),
                     _dimensions(box.get("inner"), f"{path}.inner"),
                     _decimal(box, "weight_g", f"{path}.weight_g") or Decimal(0),
                     _decimal(box, "max_weight_g", f"{path}.max_weight_g"))


POLICY_KEYS = ("mode", "excluded_carriers", "excluded_services", "max_cost", "preferred",
               "preference_margin", "min_reliability", "max_days")


def _policy(data, currency: str) -> SelectionPolicy:
    if not isinstance(data, dict):
        raise SettingsError("policy", "give an object with " + ", ".join(POLICY_KEYS))
    for key in data:
        if key not in POLICY_KEYS:
            raise SettingsError(f"policy.{key}", f"unknown setting; use {', '.join(POLICY_KEYS)}")
    mode = data.get("mode", "cheapest")
    if mode not in MODES:
        raise SettingsError("policy.mode", f"use one of {', '.join(MODES)}")
    max_cost = _decimal(data, "max_cost", "policy.max_cost")
    margin = _share(data, "preference_margin")
    return SelectionPolicy(
        mode=mode, excluded_carriers=frozenset(_names(data, "excluded_carriers")),
        excluded_services=frozenset(_services(data, "excluded_services", pairs_only=True)),
        max_cost=Money(max_cost, currency) if max_cost is not None else None,
        preferred=tuple(_services(data, "preferred")),
        preference_margin=margin if margin is not None else Decimal(0),
        min_reliability=_float(_share(data, "min_reliability")), max_days=_days(data),
    )


def _share(data: dict, key: str) -> Decimal | None:
    """A share from 0 to 1: 0.05 is 5%."""
    number = _decimal(data, key, f"policy.{key}")
    if number is not None and number > 1:
        raise SettingsError(f"policy.{key}", "give a share from 0 to 1, such as 0.05 for 5%")
    return number


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _days(data: dict) -> int | None:
    value = data.get("max_days")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 60:
        raise SettingsError("policy.max_days", "give a whole number of days from 1 to 60")
    return value


def _names(data: dict, key: str) -> list[str]:
    names = data.get(key, [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise SettingsError(f"policy.{key}", "give a list of carrier names, such as [\"UPS\"]")
    return [n.strip() for n in names]


def _services(data: dict, key: str, pairs_only: bool = False) -> list[str | tuple[str, str]]:
    """Carriers ("UPS") and carrier services (["UPS", "Ground"])."""
    entries, picked = data.get(key, []), []
    if not isinstance(entries, list):
        raise SettingsError(f"policy.{key}", "give a list")
    for entry in entries:
        if isinstance(entry, str) and entry.strip() and not pairs_only:
            picked.append(entry.strip())
        elif (isinstance(entry, (list, tuple)) and len(entry) == 2
              and all(isinstance(part, str) and part.strip() for part in entry)):
            picked.append((entry[0].strip(), entry[1].strip()))
        else:
            example = '["UPS", "Ground"]' if pairs_only else '"UPS" or ["UPS", "Ground"]'
            raise SettingsError(f"policy.{key}", f"{entry!r} is not a carrier service; give {example}")
    return picked


# What carriers need to print a ship-from address on a label, and what to say when it is missing.
REQUIRED_ADDRESS = {
    "address1": "give the street address",
    "city": "give the city or town",
    "zip": "give the postal or ZIP code",
    "country_code": "give the two-letter country code, such as US or GB",
}
ADDRESS_FIELDS = tuple(Address.__dataclass_fields__)
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
_NEEDS_PROVINCE = ("US", "CA", "AU")


def address_problems(data: dict) -> dict[str, str]:
    """Every problem of a ship-from address, by field: a form shows them all at once."""
    problems = {key: "unknown address field" for key in data if key not in ADDRESS_FIELDS}
    problems |= {key: "give text" for key in ADDRESS_FIELDS
                 if data.get(key) is not None and not isinstance(data[key], str)}
    text = {key: _text(data.get(key)) for key in ADDRESS_FIELDS}
    problems |= {key: advice for key, advice in REQUIRED_ADDRESS.items() if not text[key]}
    if not (text["name"] or text["company"]):
        problems["name"] = "give a name or a company: carriers print it on the label"
    country = text["country_code"]
    if country and not _COUNTRY_CODE.fullmatch(country):
        problems["country_code"] = REQUIRED_ADDRESS["country_code"]
    if country in _NEEDS_PROVINCE and not text["province_code"]:
        problems["province_code"] = "give the state or province code, such as NY or ON"
    return {key: problems[key] for key in (*ADDRESS_FIELDS, *data) if key in problems}


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _address(data, path: str = "origin") -> Address | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SettingsError(path, "give an address object")
    problems = address_problems(data)
    if problems:
        key, problem = next(iter(problems.items()))
        raise SettingsError(f"{path}.{key}", problem)
    return Address(**{key: _text(data.get(key)) for key in ADDRESS_FIELDS})


def _origins(data) -> dict[str, Address]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError("origins", "give an object keyed by the Shopify location's name")
    for name in data:
        if not name.strip():
            raise SettingsError("origins", "name the Shopify location each address ships for")
    return {name: _address(address, f"origins.{name}") for name, address in data.items()}


# EasyPost's keys: EZAK… for production, EZTK… for test mode.
_EASYPOST_KEY = re.compile(r"EZ([AT])K[A-Za-z0-9_-]{8,200}")


def carrier_key_problem(key: str) -> str | None:
    """Why a pasted EasyPost API key cannot be right, or None."""
    if not _EASYPOST_KEY.fullmatch(key):
        return ("an EasyPost API key starts with EZAK (production) or EZTK (test) and has no "
                "spaces: copy it from API Keys in your EasyPost dashboard")
    return None


def carrier_key_mode(key: str) -> str:
    return "test" if key.startswith("EZTK") else "production"


def _carrier_account(data) -> CarrierAccount | None:
    if data is None:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("api_key"), str):
        raise SettingsError("carrier_account", "give the encrypted key, its last 4 characters and mode")
    label = data.get("label")
    if label is not None and not isinstance(label, str):
        raise SettingsError("carrier_account.label", "give text")
    return CarrierAccount(data["api_key"], str(data.get("last4") or ""),
                          data.get("mode") if data.get("mode") in ("test", "production") else "production",
                          _text(label))


@dataclass(frozen=True)
class ProductFacts:
    dimensions: Dimensions | None = None
    ships_alone: bool = False
    weight_g: Decimal | None = None


def _products(data) -> dict[str, ProductFacts]:
    if not isinstance(data, dict):
        raise SettingsError("products", "give an object keyed by SKU")
    for sku, facts in data.items():
        if not isinstance(facts, dict):
            raise SettingsError(f"products.{sku}", "give an object: dimensions, ships_alone, weight_g")
    return {
        sku: ProductFacts(
            _dimensions(facts["dimensions"], f"products.{sku}.dimensions") if facts.get("dimensions") else None,
            bool(facts.get("ships_alone", False)), _decimal(facts, "weight_g", f"products.{sku}.weight_g"))
        for sku, facts in data.items()
    }


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _dim_rules(data) -> dict[str, DimRule]:
    """`{"UPS": 139, "USPS": [166, 1728]}`: a divisor, or a divisor and the volume it applies above."""
    if not isinstance(data, dict):
        raise SettingsError("dim_divisors", "give an object keyed by carrier")
    rules = dict(DIM_RULES)
    for carrier, value in data.items():
        parts = value if isinstance(value, list) else [value]
        divisor, above = (parts + [None])[:2]
        if not _positive_int(divisor):
            raise SettingsError(f"dim_divisors.{carrier}", "give a positive whole number of in³ per lb")
        if above is not None and not _positive_int(above):
            raise SettingsError(f"dim_divisors.{carrier}", "give the volume it applies above as a "
                                "positive whole number of in³")
        rules[carrier.casefold()] = DimRule(divisor, above)
    return rules


def _packing(item) -> PackingDefaults:
    if item is None:
        return DEFAULT_PACKING
    if not isinstance(item, dict):
        raise SettingsError("default_item", "give an object with weight_g and dimensions")
    dimensions = item.get("dimensions")
    return PackingDefaults(
        _decimal(item, "weight_g", "default_item.weight_g") or DEFAULT_PACKING.item_weight_g,
        _dimensions(dimensions, "default_item.dimensions") if dimensions else DEFAULT_PACKING.item_dimensions)


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
                         templates=_templates(data.get("templates")),
                         **{key: value for key, value in values.items() if value is not None})


def _templates(data) -> dict[str, Wording]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError("emails.templates", f"give an object keyed by email: {', '.join(KINDS)}")
    templates = {}
    for kind, parts in data.items():
        if kind not in KINDS:
            raise SettingsError(f"emails.templates.{kind}", f"not one of our emails; use {', '.join(KINDS)}")
        wording = _wording(parts, f"emails.templates.{kind}")
        if wording.subject or wording.intro:
            templates[kind] = wording
    return templates


def _wording(parts, path: str) -> Wording:
    if not isinstance(parts, dict):
        raise SettingsError(path, "give an object with a subject and an intro")
    texts = {}
    for key, value in parts.items():
        if key not in WORDING_LIMITS:
            raise SettingsError(f"{path}.{key}", "unknown setting; use subject, intro")
        if value is not None and not isinstance(value, str):
            raise SettingsError(f"{path}.{key}", "give text")
        texts[key] = value.strip() if value and value.strip() else None
        problem = texts[key] and wording_problem(texts[key], WORDING_LIMITS[key])
        if key == "subject" and texts[key] and "\n" in texts[key]:
            problem = "keep the subject on one line"
        if problem:
            raise SettingsError(f"{path}.{key}", problem)
    return Wording(texts.get("subject"), texts.get("intro"))


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
    packing = _packing(data.get("default_item"))
    emails = _emails(data.get("emails"))
    return ShippingSettings(
        origin=_address(data.get("origin")), origins=_origins(data.get("origins")),
        boxes=_boxes(data["boxes"]) if "boxes" in data else DEFAULT_BOXES,
        packing=packing, policy=_policy(data.get("policy", {}), currency),
        label_format=label_format, insure_above=_decimal(data, "insure_above"),
        signature_above=_decimal(data, "signature_above"),
        notify_customer=_notify_customer(data, emails),
        automation=_automation(data.get("automation", "buy")),
        products=_products(data.get("products", {})),
        dim_rules=_dim_rules(data.get("dim_divisors", {})),
        emails=emails, carrier_account=_carrier_account(data.get("carrier_account")),
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
    problems = _address_problems_by_path(data)
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
            leaves += [{key: {kind: parts}} for kind, parts in value.items() if not isinstance(parts, dict)]
        else:
            leaves.append({key: value})
    return leaves


def _address_problems_by_path(data: dict) -> dict[str, str]:
    addresses = {"origin": data.get("origin")}
    if isinstance(data.get("origins"), dict):
        addresses |= {f"origins.{name}": a for name, a in data["origins"].items()}
    return {f"{path}.{key}": problem for path, address in addresses.items()
            if isinstance(address, dict) for key, problem in address_problems(address).items()}
