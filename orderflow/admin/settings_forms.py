"""Each settings section's form: the stored document to form values (`*_values`), and a
submitted form back to the document keys the section owns (`parse_*`).

A parse returns the keys' new values (None to remove a key), the problems it found by form field,
and the document paths to rename to form fields ("boxes.2." -> "boxes.3." when a row was left
out); the whole document is checked by `settings_problems` on save. MultiDict in, dicts out: no
request, no database.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from werkzeug.datastructures import MultiDict

from ..fulfilment.email_rules import KINDS
from ..fulfilment.shop_settings import (
    ADDRESS_FIELDS,
    DEFAULT_BOXES,
    DEFAULT_PACKING,
    SettingsError,
    read_settings,
)

MAX_ROWS = 50  # rows of one repeated group (boxes, locations) a form may send


def form_text(form: MultiDict, name: str) -> str:
    return (form.get(name) or "").strip()


def form_rows(form: MultiDict, group: str) -> list[int]:
    pattern = re.compile(rf"{re.escape(group)}\.(\d+)\.")
    numbers = sorted({int(m.group(1)) for key in form for m in [pattern.match(key)] if m})
    return numbers[:MAX_ROWS]


def _number(form: MultiDict, name: str, errors: dict, **rules):
    """A JSON number from a form field ("" -> None); a problem in `errors` when it is not one."""
    return _parsed(form_text(form, name), name, errors, **rules)


def _parsed(raw: str, name: str, errors: dict, *, positive=False, example="12.5"):
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or (positive and value == 0):
        errors[name] = f"enter a {'number above 0' if positive else 'number'}, such as {example}"
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{Decimal(str(value)).normalize():f}"
    return str(value)


def _percent_shown(share) -> str:
    if share is None:
        return ""
    return f"{(Decimal(str(share)) * 100).normalize():f}"


def _percent(form: MultiDict, name: str, errors: dict) -> float | None:
    value = _parsed(form_text(form, name).rstrip("%").strip(), name, errors, example="5")
    if value is not None and value > 100:
        errors[name] = "enter a percentage from 0 to 100"
        return None
    return None if value is None else float(Decimal(str(value)) / 100)


# ---------------------------------------------------------------- ship-from addresses

ADDRESS_INPUTS = (("name", "Name"), ("company", "Company"), ("address1", "Street address"),
                  ("address2", "Apartment, suite, unit"), ("city", "City"),
                  ("province_code", "State or province code"), ("zip", "ZIP or postal code"),
                  ("country_code", "Country code"), ("phone", "Phone"))
_UPPER = ("province_code", "country_code")


def _address_values(prefix: str, address: dict) -> list[tuple[str, str]]:
    return [(f"{prefix}.{key}", _shown(address.get(key))) for key, _ in ADDRESS_INPUTS]


def ship_from_values(doc: dict) -> MultiDict:
    values = _address_values("origin", doc.get("origin") or {})
    for n, (name, address) in enumerate((doc.get("origins") or {}).items()):
        values += [(f"origins.{n}.location", name), *_address_values(f"origins.{n}", address)]
    return MultiDict(values)


def _address_input(form: MultiDict, prefix: str) -> dict:
    address = {key: form_text(form, f"{prefix}.{key}") for key in ADDRESS_FIELDS}
    return {k: v.upper() if k in _UPPER else v for k, v in address.items() if v}


def parse_ship_from(form: MultiDict) -> tuple[dict, dict, dict]:
    errors, origins, renames = {}, {}, {}
    for n in form_rows(form, "origins"):
        name = form_text(form, f"origins.{n}.location")
        address = _address_input(form, f"origins.{n}")
        if form.get(f"origins.{n}.remove") or not (name or address):
            continue
        if not name:
            errors[f"origins.{n}.location"] = ("name the Shopify location this address is for, "
                                              "as it appears in Settings › Locations")
        elif name.casefold() in {o.casefold() for o in origins}:
            errors[f"origins.{n}.location"] = "this location already has an address on this page"
        else:
            origins[name], renames[f"origins.{name}."] = address, f"origins.{n}."
    updates = {"origin": _address_input(form, "origin") or None, "origins": origins or None}
    return updates, errors, renames


# ---------------------------------------------------------------- boxes

BOX_NUMBERS = ("length", "width", "height", "weight_g", "max_weight_g")


def boxes_values(doc: dict) -> MultiDict:
    boxes = doc.get("boxes")
    boxes = boxes if isinstance(boxes, list) else [_box_json(b) for b in DEFAULT_BOXES]
    values = []
    for n, box in enumerate(boxes):
        inner = list(box.get("inner") or []) + [None] * 4
        values += [(f"boxes.{n}.name", _shown(box.get("name"))),
                   *[(f"boxes.{n}.{k}", _shown(v))
                     for k, v in zip(BOX_NUMBERS[:3], inner, strict=False)],
                   (f"boxes.{n}.unit", inner[3] or "in"),
                   (f"boxes.{n}.weight_g", _shown(box.get("weight_g"))),
                   (f"boxes.{n}.max_weight_g", _shown(box.get("max_weight_g")))]
    item = doc.get("default_item") or {}
    dims = list(item.get("dimensions") or _dims_json(DEFAULT_PACKING.item_dimensions)) + [None] * 4
    weight = item.get("weight_g", _plain(DEFAULT_PACKING.item_weight_g))
    values += [("default_item.weight_g", _shown(weight)),
               *[(f"default_item.{k}", _shown(v))
                 for k, v in zip(BOX_NUMBERS[:3], dims, strict=False)],
               ("default_item.unit", dims[3] or "in")]
    return MultiDict(values)


def _dims_json(d) -> list:
    return [_plain(d.length), _plain(d.width), _plain(d.height), d.unit]


def _plain(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def _box_json(box) -> dict:
    return {"name": box.name, "inner": _dims_json(box.inner), "weight_g": _plain(box.box_weight_g),
            "max_weight_g": _plain(box.max_gross_weight_g) if box.max_gross_weight_g else None}


def _dimensions(form: MultiDict, prefix: str, errors: dict) -> list | None:
    sides = [_number(form, f"{prefix}.{k}", errors, positive=True, example="8")
             for k in BOX_NUMBERS[:3]]
    for key, side in zip(BOX_NUMBERS[:3], sides, strict=True):
        if side is None and f"{prefix}.{key}" not in errors:
            errors[f"{prefix}.{key}"] = f"enter the inside {key}"
    unit = form_text(form, f"{prefix}.unit") or "in"
    if unit not in ("in", "cm"):
        errors[f"{prefix}.unit"] = "choose inches or centimetres"
    return None if None in sides else [*sides, unit]


def _box_input(form: MultiDict, n: int, errors: dict) -> dict | None:
    prefix = f"boxes.{n}"
    filled = any(form_text(form, f"{prefix}.{k}") for k in ("name", *BOX_NUMBERS))
    if form.get(f"{prefix}.remove") or not filled:
        return None
    if not form_text(form, f"{prefix}.name"):
        errors[f"{prefix}.name"] = "name the box, such as Small mailer"
    box = {"name": form_text(form, f"{prefix}.name"), "inner": _dimensions(form, prefix, errors),
           "weight_g": _number(form, f"{prefix}.weight_g", errors, example="120"),
           "max_weight_g": _number(form, f"{prefix}.max_weight_g", errors, positive=True,
                                   example="9000")}
    return {k: v for k, v in box.items() if v is not None}


def parse_boxes(form: MultiDict) -> tuple[dict, dict, dict]:
    errors, boxes, renames = {}, [], {}
    for n in form_rows(form, "boxes"):
        box = _box_input(form, n, errors)
        if box is not None:
            renames[f"boxes.{len(boxes)}."] = f"boxes.{n}."
            boxes.append(box)
    if not boxes and not errors:
        errors["boxes"] = "keep at least one box: orders are packed into these"
    item = {"weight_g": _number(form, "default_item.weight_g", errors,
                                positive=True, example="500"),
            "dimensions": _dimensions(form, "default_item", errors)}
    item = {k: v for k, v in item.items() if v is not None}
    return {"boxes": boxes, "default_item": item}, errors, renames


# ---------------------------------------------------------------- rates and labels

MODE_LABELS = {"cheapest": "Cheapest rate", "fastest": "Fastest delivery",
               "cheapest_on_time": "Cheapest that arrives within the promise"}
AUTOMATION_LABELS = {"buy": "Buy labels and fulfil ready orders by themselves",
                     "plan": "Choose a rate, and buy when I say so",
                     "off": "Do nothing until I ask"}


def shipping_values(doc: dict) -> MultiDict:
    policy = doc.get("policy") if isinstance(doc.get("policy"), dict) else {}
    return MultiDict({
        "automation": doc.get("automation", "buy"), "label_format": doc.get("label_format", "PDF"),
        "insure_above": _shown(doc.get("insure_above")),
        "signature_above": _shown(doc.get("signature_above")),
        "policy.mode": policy.get("mode", "cheapest"),
        "policy.max_days": _shown(policy.get("max_days")),
        "policy.max_cost": _shown(policy.get("max_cost")),
        "policy.min_reliability": _percent_shown(policy.get("min_reliability")),
        "policy.preference_margin": _percent_shown(policy.get("preference_margin")),
        "policy.preferred": "\n".join(map(_service_line, policy.get("preferred", []))),
        "policy.excluded_carriers": ", ".join(policy.get("excluded_carriers", [])),
        "policy.excluded_services": "\n".join(map(_service_line,
                                                  policy.get("excluded_services", []))),
    })


def _service_line(entry) -> str:
    return entry if isinstance(entry, str) else " / ".join(entry)


def _service_lines(form: MultiDict, name: str, errors: dict, pairs_only=False) -> list:
    entries = []
    for line in filter(None, (part.strip() for part in form_text(form, name).splitlines())):
        carrier, _, service = (part.strip() for part in line.partition("/"))
        if (pairs_only and not service) or not carrier or ("/" in line and not service):
            errors[name] = f"write “{line}” as Carrier / Service, such as UPS / Ground"
        entries.append([carrier, service] if service else carrier)
    return entries


def _carriers(form: MultiDict, name: str) -> list[str]:
    return [c.strip() for c in re.split(r"[,\n]", form_text(form, name)) if c.strip()]


def _whole_days(form: MultiDict, name: str, errors: dict) -> int | None:
    raw = form_text(form, name)
    if raw and not raw.isdigit():
        errors[name] = "enter a whole number of days, such as 3"
        return None
    return int(raw) if raw else None


def parse_shipping(form: MultiDict) -> tuple[dict, dict, dict]:
    errors: dict = {}
    policy = {
        "mode": form_text(form, "policy.mode") or "cheapest",
        "max_days": _whole_days(form, "policy.max_days", errors),
        "max_cost": _number(form, "policy.max_cost", errors, example="25"),
        "min_reliability": _percent(form, "policy.min_reliability", errors),
        "preference_margin": _percent(form, "policy.preference_margin", errors),
        "preferred": _service_lines(form, "policy.preferred", errors),
        "excluded_carriers": _carriers(form, "policy.excluded_carriers"),
        "excluded_services": _service_lines(form, "policy.excluded_services", errors,
                                            pairs_only=True),
    }
    updates = {
        "automation": form_text(form, "automation") or "buy",
        "label_format": form_text(form, "label_format") or "PDF",
        "insure_above": _number(form, "insure_above", errors, example="100"),
        "signature_above": _number(form, "signature_above", errors, example="250"),
        "policy": {k: v for k, v in policy.items() if v not in (None, [])},
    }
    return updates, errors, {}


# ---------------------------------------------------------------- emails and notifications

EMAIL_FIELDS = ("logo_url", "colour", "reply_to", "alert_email")


def emails_values(doc: dict) -> MultiDict:
    emails = doc.get("emails") if isinstance(doc.get("emails"), dict) else {}
    settings = _readable(doc)
    values = [(f"emails.{key}", _shown(emails.get(key))) for key in EMAIL_FIELDS]
    values += [("emails.customer", kind) for kind in KINDS if kind in emails.get("customer", KINDS)]
    for kind, parts in (emails.get("templates") or {}).items():
        values += [(f"emails.templates.{kind}.{k}", _shown(v)) for k, v in (parts or {}).items()]
    if settings.notify_customer if settings else doc.get("notify_customer"):
        values.append(("notify_customer", "on"))
    return MultiDict(values)


def parse_emails(form: MultiDict) -> tuple[dict, dict, dict]:
    templates = {kind: {part: form_text(form, f"emails.templates.{kind}.{part}") or None
                        for part in ("subject", "intro")} for kind in KINDS}
    emails = {key: form_text(form, f"emails.{key}") for key in EMAIL_FIELDS}
    emails = {key: value for key, value in emails.items() if value}
    emails["customer"] = [kind for kind in KINDS if kind in form.getlist("emails.customer")]
    emails["templates"] = {kind: {part: text for part, text in parts.items() if text}
                           for kind, parts in templates.items() if any(parts.values())}
    return {"emails": emails, "notify_customer": bool(form.get("notify_customer"))}, {}, {}


def _readable(doc: dict):
    try:
        return read_settings(doc)
    except SettingsError:
        return None
