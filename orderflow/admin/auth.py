"""Session-token authentication for admin pages, and links that keep the token."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import g, make_response, request, url_for

from ..auth.install import shop_for_session
from ..auth.views import PATCH_ID_TOKEN_PATH, library_response, request_input
from ..integrations.shopify.errors import ShopifyError
from ..services import services
from . import bp

# The query parameters Shopify's admin gives an embedded page, carried on every link.
_CARRIED = ("shop", "host", "embedded", "id_token", "locale")


@bp.before_request
def authenticate():
    svc = services()
    body = request.get_data(as_text=True) if request.method == "POST" else ""
    result = svc.shopify_app.verify_app_home_req(request_input(body), PATCH_ID_TOKEN_PATH)
    if not result.ok:
        return library_response(result)
    try:
        g.shop = shop_for_session(svc, f"{result.shop}.myshopify.com", result.id_token)
    except ShopifyError as exc:
        return make_response(f"Could not install the app for this shop: {exc}", 502)
    g.frame_headers = result.response.headers
    g.carried = {k: request.args[k] for k in _CARRIED if request.args.get(k)}
    g.carried["id_token"] = result.id_token.token


@bp.after_request
def frame_headers(response):
    """Shopify's framing policy for this shop (Content-Security-Policy: frame-ancestors), and no
    token in a Referer."""
    response.headers.update(getattr(g, "frame_headers", {}) or {})
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def admin_url(endpoint: str, **values) -> str:
    """A link to an admin page that keeps the shop, host and session token."""
    query = {k: v for k, v in values.items() if v not in (None, "", [])}
    path = url_for(endpoint, **{k: v for k, v in query.items() if k in _path_args(endpoint)})
    rest = {k: v for k, v in query.items() if k not in _path_args(endpoint)}
    params = {**getattr(g, "carried", {}), **rest}
    return f"{path}?{urlencode(params, doseq=True)}" if params else path


def _path_args(endpoint: str) -> set[str]:
    from flask import current_app
    rules = current_app.url_map._rules_by_endpoint.get(endpoint, [])
    return set(rules[0].arguments) if rules else set()


# The admin's sections, in menu order; a section shows once its page exists. A page belongs to
# a section when its endpoint is the section's or starts with it and "_" (admin.orders_show).
NAV = (("admin.orders", "Orders"), ("admin.batches", "Batches"), ("admin.reports", "Reports"),
       ("admin.settings", "Settings"))

# Messages a page shows after an action redirected to it (`?flash=code`). Codes, not text, so a
# crafted link cannot make the admin say anything else. code -> ("" | "error", text)
FLASHES: dict[str, tuple[str, str]] = {}


def redirect_to(endpoint: str, flash: str | None = None, **values):
    """303 to an admin page after a POST, with a message from FLASHES."""
    from flask import redirect
    return redirect(admin_url(endpoint, flash=flash, **values), code=303)


@bp.app_context_processor
def helpers():
    from flask import current_app
    if not request.blueprint == "admin":
        return {"admin_url": admin_url}
    return {
        "admin_url": admin_url, "api_key": services().settings.SHOPIFY_API_KEY,
        "nav_links": [(e, label) for e, label in NAV if e in current_app.view_functions],
        "flashes": [FLASHES[c] for c in request.args.getlist("flash") if c in FLASHES],
    }
