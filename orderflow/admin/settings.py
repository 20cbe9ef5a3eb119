"""Settings: the shop's settings document, edited section by section in server-rendered forms.

Each section owns some keys of the document. A save parses the form into those keys, merges them
into the stored document under a row lock (another section saved meanwhile is kept) and checks the
whole with `settings_problems`; anything wrong is shown next to its field with the merchant's input
kept, and nothing is saved. The carrier key is write-only: encrypted on save, never rendered back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from flask import g, render_template, request
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..emails.render import (
    DEFAULT_COLOUR, KINDS, Brand, CustomerEmail, Item, Tracking, Wording, customer_message,
    safe_brand,
)
from ..db.models import Order, ShopSettings
from ..services import services
from ..fulfilment.shop_settings import (
    ADDRESS_FIELDS, DEFAULT_BOXES, DEFAULT_PACKING, SettingsError, carrier_key_mode, carrier_key_problem, read_settings, settings_problems,
)
from . import bp
from .auth import FLASHES, redirect_to

FLASHES.update({
    "settings_saved": ("", "Settings saved."),
    "carrier_key_saved": ("", "Carrier account saved. The key is stored encrypted and is never "
                              "shown again."),
    "carrier_key_removed": ("", "Carrier key removed."),
})

MAX_ROWS = 50  # rows of one repeated group (boxes, locations) a form may send
KIND_LABELS = {"shipped": "Shipped", "out_for_delivery": "Out for delivery",
               "delivered": "Delivered", "problem": "Delivery problem"}


@dataclass(frozen=True)
class Section:
    endpoint: str
    title: str
    template: str
    keys: tuple[str, ...]  # the document keys this section's form owns
    values: Callable[[dict], MultiDict]  # the stored document -> form values
    # form -> (the keys' new values, None to remove; problems by field; document path -> field)
    parse: Callable[[MultiDict], tuple[dict, dict, dict]]


# ---------------------------------------------------------------- the document


def _stored(shop_id: int) -> dict:
    with services().db.session() as s:
        row = s.get(ShopSettings, shop_id)
        return dict(row.data) if row else {}


def _currency() -> str:
    """The shop's currency, as its latest order says (money limits are in it)."""
    if "currency" not in g:
        with services().db.session() as s:
            g.currency = s.scalar(select(Order.currency).where(Order.shop_id == g.shop.id)
                                  .order_by(Order.id.desc()).limit(1)) or "USD"
    return g.currency


def _save(shop_id: int, updates: dict, errors: dict, renames: dict) -> dict:
    """Merge the section's keys into the newest stored document and save it if the whole reads
    well; the problems, by form field, otherwise."""
    currency = _currency()  # its own query: not while the settings row is locked
    with services().db.session() as s, s.begin():
        row = s.scalars(select(ShopSettings).where(ShopSettings.shop_id == shop_id)
                        .with_for_update()).one_or_none()
        candidate = {**(row.data if row else {}), **updates}
        candidate = {k: v for k, v in candidate.items() if v is not None}
        problems = {**_renamed(settings_problems(candidate, currency), renames), **errors}
        if problems:
            return problems
        if row is None:
            s.add(ShopSettings(shop_id=shop_id, data=candidate))
        else:
            row.data = candidate
    return {}


def _renamed(problems: dict, renames: dict) -> dict:
    """Document paths to form field names ("boxes.2." -> "boxes.3." when a row was left out)."""
    out = {}
    for path, problem in problems.items():
        for old, new in renames.items():
            if path.startswith(old):
                path = new + path[len(old):]
                break
        out[path] = problem
    return out


# ---------------------------------------------------------------- reading form input


def _text(form: MultiDict, name: str) -> str:
    return (form.get(name) or "").strip()


def _rows(form: MultiDict, group: str) -> list[int]:
    pattern = re.compile(rf"{re.escape(group)}\.(\d+)\.")
    numbers = sorted({int(m.group(1)) for key in form for m in [pattern.match(key)] if m})
    return numbers[:MAX_ROWS]


def _number(form: MultiDict, name: str, errors: dict, **rules):
    """A JSON number from a form field ("" -> None); a problem in `errors` when it is not one."""
    return _parsed(_text(form, name), name, errors, **rules)


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
    value = _parsed(_text(form, name).rstrip("%").strip(), name, errors, example="5")
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
    address = {key: _text(form, f"{prefix}.{key}") for key in ADDRESS_FIELDS}
    return {k: v.upper() if k in _UPPER else v for k, v in address.items() if v}


def parse_ship_from(form: MultiDict) -> tuple[dict, dict, dict]:
    errors, origins, renames = {}, {}, {}
    for n in _rows(form, "origins"):
        name, address = _text(form, f"origins.{n}.location"), _address_input(form, f"origins.{n}")
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
                   *[(f"boxes.{n}.{k}", _shown(v)) for k, v in zip(BOX_NUMBERS[:3], inner)],
                   (f"boxes.{n}.unit", inner[3] or "in"),
                   (f"boxes.{n}.weight_g", _shown(box.get("weight_g"))),
                   (f"boxes.{n}.max_weight_g", _shown(box.get("max_weight_g")))]
    item = doc.get("default_item") or {}
    dims = list(item.get("dimensions") or _dims_json(DEFAULT_PACKING.item_dimensions)) + [None] * 4
    weight = item.get("weight_g", _plain(DEFAULT_PACKING.item_weight_g))
    values += [("default_item.weight_g", _shown(weight)),
               *[(f"default_item.{k}", _shown(v)) for k, v in zip(BOX_NUMBERS[:3], dims)],
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
    sides = [_number(form, f"{prefix}.{k}", errors, positive=True, example="8") for k in BOX_NUMBERS[:3]]
    for key, side in zip(BOX_NUMBERS[:3], sides):
        if side is None and f"{prefix}.{key}" not in errors:
            errors[f"{prefix}.{key}"] = f"enter the inside {key}"
    unit = _text(form, f"{prefix}.unit") or "in"
    if unit not in ("in", "cm"):
        errors[f"{prefix}.unit"] = "choose inches or centimetres"
    return None if None in sides else [*sides, unit]


def _box_input(form: MultiDict, n: int, errors: dict) -> dict | None:
    prefix = f"boxes.{n}"
    filled = any(_text(form, f"{prefix}.{k}") for k in ("name", *BOX_NUMBERS))
    if form.get(f"{prefix}.remove") or not filled:
        return None
    if not _text(form, f"{prefix}.name"):
        errors[f"{prefix}.name"] = "name the box, such as Small mailer"
    box = {"name": _text(form, f"{prefix}.name"), "inner": _dimensions(form, prefix, errors),
           "weight_g": _number(form, f"{prefix}.weight_g", errors, example="120"),
           "max_weight_g": _number(form, f"{prefix}.max_weight_g", errors, positive=True,
                                   example="9000")}
    return {k: v for k, v in box.items() if v is not None}


def parse_boxes(form: MultiDict) -> tuple[dict, dict, dict]:
    errors, boxes, renames = {}, [], {}
    for n in _rows(form, "boxes"):
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
        "policy.excluded_services": "\n".join(map(_service_line, policy.get("excluded_services", []))),
    })


def _service_line(entry) -> str:
    return entry if isinstance(entry, str) else " / ".join(entry)


def _service_lines(form: MultiDict, name: str, errors: dict, pairs_only=False) -> list:
    entries = []
    for line in filter(None, (part.strip() for part in _text(form, name).splitlines())):
        carrier, _, service = (part.strip() for part in line.partition("/"))
        if (pairs_only and not service) or not carrier or ("/" in line and not service):
            errors[name] = f"write “{line}” as Carrier / Service, such as UPS / Ground"
        entries.append([carrier, service] if service else carrier)
    return entries


def _carriers(form: MultiDict, name: str) -> list[str]:
    return [c.strip() for c in re.split(r"[,\n]", _text(form, name)) if c.strip()]


def _whole_days(form: MultiDict, name: str, errors: dict) -> int | None:
    raw = _text(form, name)
    if raw and not raw.isdigit():
        errors[name] = "enter a whole number of days, such as 3"
        return None
    return int(raw) if raw else None


def parse_shipping(form: MultiDict) -> tuple[dict, dict, dict]:
    errors: dict = {}
    policy = {
        "mode": _text(form, "policy.mode") or "cheapest",
        "max_days": _whole_days(form, "policy.max_days", errors),
        "max_cost": _number(form, "policy.max_cost", errors, example="25"),
        "min_reliability": _percent(form, "policy.min_reliability", errors),
        "preference_margin": _percent(form, "policy.preference_margin", errors),
        "preferred": _service_lines(form, "policy.preferred", errors),
        "excluded_carriers": _carriers(form, "policy.excluded_carriers"),
        "excluded_services": _service_lines(form, "policy.excluded_services", errors, pairs_only=True),
    }
    updates = {
        "automation": _text(form, "automation") or "buy",
        "label_format": _text(form, "label_format") or "PDF",
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
    templates = {kind: {part: _text(form, f"emails.templates.{kind}.{part}") or None
                        for part in ("subject", "intro")} for kind in KINDS}
    emails = {key: _text(form, f"emails.{key}") for key in EMAIL_FIELDS}
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


def sample_email(kind: str) -> CustomerEmail:
    today = date.today()
    return CustomerEmail(
        kind=kind, order_name="#1001", customer_name="Jane",
        items=(Item("Blue enamel mug", 2), Item("Linen tea towel", 1)),
        tracking=(Tracking("UPS", "Ground", "1Z999AA10123456784",
                           "https://www.ups.com/track?tracknum=1Z999AA10123456784"),),
        estimated_delivery=today + timedelta(days=3), tracking_page_url=_app_link("/t/preview"),
        problem="Address not found: the building number is missing",
        delivered_at=datetime.now(timezone.utc).replace(microsecond=0),
        delivered_where="Brooklyn, NY", signed_by="J SMITH")


def _app_link(path: str) -> str:
    return services().settings.APP_URL.rstrip("/") + path


def preview(values: MultiDict, kind: str) -> dict:
    """The real email for `kind` as the form's values would send it, with sample order data.
    Values the email cannot use fall back like a send would (render.safe_brand)."""
    brand = Brand(shop_name=g.shop.name or g.shop.domain.split(".")[0],
                  logo_url=_text(values, "emails.logo_url") or None,
                  colour=_text(values, "emails.colour") or DEFAULT_COLOUR,
                  reply_to=_text(values, "emails.reply_to") or None)
    wording = Wording(_text(values, f"emails.templates.{kind}.subject") or None,
                      _text(values, f"emails.templates.{kind}.intro") or None)
    message = customer_message(sample_email(kind), brand, "jane@example.com",
                               services().settings.MAIL_FROM, _app_link("/email/unsubscribe/preview"),
                               "<preview@orderflow>", wording)
    return {"kind": kind, "subject": message["Subject"], "sender": message["From"],
            "colour": safe_brand(brand).colour,
            "reply_to": message["Reply-To"], "html": message.get_body(("html",)).get_content()}


# ---------------------------------------------------------------- pages

SECTIONS = (
    Section("admin.settings_ship_from", "Ship-from addresses", "admin/settings_ship_from.html",
            ("origin", "origins"), ship_from_values, parse_ship_from),
    Section("admin.settings_boxes", "Boxes", "admin/settings_boxes.html",
            ("boxes", "default_item"), boxes_values, parse_boxes),
    Section("admin.settings_shipping", "Rates and labels", "admin/settings_shipping.html",
            ("automation", "policy", "label_format", "insure_above", "signature_above"),
            shipping_values, parse_shipping),
    Section("admin.settings_emails", "Emails and notifications", "admin/settings_emails.html",
            ("emails", "notify_customer"), emails_values, parse_emails),
)
_BY_ENDPOINT = {section.endpoint: section for section in SECTIONS}
CARRIER = "admin.settings_carrier"
# The menu: the carrier account (its own, write-only form) before emails.
NAV_SECTIONS = [*[(s.endpoint, s.title) for s in SECTIONS[:3]], (CARRIER, "Carrier account"),
                (SECTIONS[3].endpoint, SECTIONS[3].title)]


def _page(template: str, keys: tuple[str, ...] = (), **context):
    errors = context.get("errors") or {}
    return render_template(template, sections=NAV_SECTIONS, currency=_currency(),
                           kinds=KIND_LABELS, modes=MODE_LABELS, automations=AUTOMATION_LABELS,
                           elsewhere=_elsewhere(errors, keys), rows=_row_numbers, **context)


def _elsewhere(errors: dict, keys: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Problems of settings this page does not show (another section's), with where to fix them."""
    found = [(path, problem) for path, problem in errors.items() if path.split(".")[0] not in keys]
    return [(path, problem, _section_of(path)) for path, problem in found]


def _row_numbers(values: MultiDict, group: str) -> list[int]:
    """The rows a repeated group shows: the ones it has, and one blank row to add another."""
    numbers = _rows(values, group)
    return numbers + [max(numbers, default=-1) + 1]


def _edit(section: Section, extra: Callable[[MultiDict], dict] = lambda values: {}):
    if request.method == "GET":
        values = section.values(_stored(g.shop.id))
        return _page(section.template, section.keys, section=section, values=values, errors={},
                     **extra(values))
    updates, errors, renames = section.parse(request.form)
    errors = _save(g.shop.id, updates, errors, renames)
    if not errors:
        return redirect_to(section.endpoint, flash="settings_saved")
    return _page(section.template, section.keys, section=section, values=request.form,
                 errors=errors, **extra(request.form)), 422


@bp.get("/settings")
def settings():
    stored = _stored(g.shop.id)
    try:
        current, problem = read_settings(stored, _currency()), None
    except SettingsError as exc:
        current, problem = None, exc
    return _page("admin/settings.html", current=current, problem=problem,
                 account=_account_view(stored), address_line=address_line,
                 fix=_section_of(problem.field) if problem else None)


def _section_of(path: str) -> str:
    key = path.split(".", 1)[0]
    if key in ("carrier_account", "carrier"):
        return CARRIER
    return next((s.endpoint for s in SECTIONS if key in s.keys), SECTIONS[2].endpoint)


@bp.route("/settings/ship-from", methods=["GET", "POST"])
def settings_ship_from():
    return _edit(_BY_ENDPOINT["admin.settings_ship_from"])


@bp.route("/settings/boxes", methods=["GET", "POST"])
def settings_boxes():
    return _edit(_BY_ENDPOINT["admin.settings_boxes"])


@bp.route("/settings/shipping", methods=["GET", "POST"])
def settings_shipping():
    return _edit(_BY_ENDPOINT["admin.settings_shipping"])


@bp.route("/settings/emails", methods=["GET", "POST"])
def settings_emails():
    """"Preview" shows the form's unsaved values in the real email; "Save" keeps them."""
    section = _BY_ENDPOINT["admin.settings_emails"]
    kind = request.values.get("preview")
    kind = kind if kind in KINDS else "shipped"

    def show(values):
        return {"preview": preview(values, kind)}
    if request.method == "POST" and request.form.get("action") == "preview":
        updates, _, _ = section.parse(request.form)
        problems = settings_problems(updates, _currency())
        return _page(section.template, section.keys, section=section, values=request.form,
                     errors=problems, previewing=True, **show(request.form))
    return _edit(section, show)


def address_line(address) -> str:
    parts = (address.company or address.name, address.address1, address.city,
             " ".join(filter(None, (address.province_code, address.zip))), address.country_code)
    return ", ".join(p for p in parts if p)


# ---------------------------------------------------------------- the carrier account (write-only)


def _account_view(stored: dict) -> dict | None:
    """What the page may say about the stored key: never the key, at most its last 4 characters."""
    account = stored.get("carrier_account")
    if not isinstance(account, dict) or not account.get("api_key"):
        return None
    return {"label": account.get("label"), "last4": str(account.get("last4") or "")[-4:],
            "mode": account.get("mode"), "updated_at": account.get("updated_at")}


def _carrier_page(stored: dict, values: MultiDict, errors: dict, status: int = 200):
    return _page("admin/settings_carrier.html", ("carrier", "carrier_account"), section=None,
                 values=values, errors=errors, account=_account_view(stored)), status


@bp.route("/settings/carrier", methods=["GET", "POST"])
def settings_carrier():
    stored = _stored(g.shop.id)
    if request.method == "GET":
        account = _account_view(stored) or {}
        return _carrier_page(stored, MultiDict({"carrier.label": account.get("label") or ""}), {})
    key, label = _text(request.form, "carrier.api_key"), _text(request.form, "carrier.label")
    errors = _carrier_problems(key, label, stored)
    if not errors:
        errors = _save(g.shop.id, {"carrier_account": _account(key, label, stored)}, {},
                       {"carrier_account.label": "carrier.label"})
    if errors:
        return _carrier_page(stored, MultiDict({"carrier.label": label}), errors, 422)
    return redirect_to(CARRIER, flash="carrier_key_saved")


def _carrier_problems(key: str, label: str, stored: dict) -> dict:
    errors = {}
    if len(label) > 80:
        errors["carrier.label"] = "keep the name to 80 characters"
    if not key and _account_view(stored) is None:
        errors["carrier.api_key"] = "paste your EasyPost API key"
    elif key and carrier_key_problem(key):
        errors["carrier.api_key"] = carrier_key_problem(key)
    return errors


def _account(key: str, label: str, stored: dict) -> dict:
    """A new key is encrypted; without one, the stored (encrypted) key stays and only the name
    changes."""
    account = dict(stored.get("carrier_account") or {})
    if key:
        account |= {"api_key": services().box.encrypt(key), "last4": key[-4:],
                    "mode": carrier_key_mode(key),
                    "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    account["label"] = label or None
    return account


@bp.post("/settings/carrier/remove")
def settings_carrier_remove():
    """Always possible, whatever else the settings say: removing a secret checks nothing."""
    with services().db.session() as s, s.begin():
        row = s.scalars(select(ShopSettings).where(ShopSettings.shop_id == g.shop.id)
                        .with_for_update()).one_or_none()
        if row is not None and "carrier_account" in row.data:
            row.data = {k: v for k, v in row.data.items() if k != "carrier_account"}
    return redirect_to(CARRIER, flash="carrier_key_removed")
