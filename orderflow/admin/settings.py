"""Settings: the shop's settings document, edited section by section in server-rendered forms.

Each section owns some keys of the document. A save parses the form into those keys, merges them
into the stored document under a row lock (another section saved meanwhile is kept) and checks the
whole with `settings_problems`; anything wrong is shown next to its field with the merchant's input
kept, and nothing is saved. The carrier key is write-only: encrypted on save, never rendered back.
Each section's form values and parsing are in `settings_forms`, the email preview in
`settings_preview`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import g, render_template, request
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..db.models import Order, ShopSettings
from ..fulfilment.email_rules import KINDS
from ..fulfilment.shop_settings import (
    SettingsError,
    carrier_key_mode,
    carrier_key_problem,
    read_settings,
    settings_problems,
)
from ..services import services
from . import bp
from .auth import FLASHES, redirect_to
from .settings_forms import (
    AUTOMATION_LABELS,
    MODE_LABELS,
    boxes_values,
    emails_values,
    form_rows,
    form_text,
    parse_boxes,
    parse_emails,
    parse_ship_from,
    parse_shipping,
    ship_from_values,
    shipping_values,
)
from .settings_preview import preview

FLASHES.update({
    "settings_saved": ("", "Settings saved."),
    "carrier_key_saved": ("", "Carrier account saved. The key is stored encrypted and is never "
                              "shown again."),
    "carrier_key_removed": ("", "Carrier key removed."),
})

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
    numbers = form_rows(values, group)
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
    key = form_text(request.form, "carrier.api_key")
    label = form_text(request.form, "carrier.label")
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
                    "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}
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
