"""The admin API's authentication: App Bridge session tokens in, one shop's data out.

Every query is scoped by the token's shop: another shop's order is a 404, exactly like a
missing one, so ids reveal nothing.
"""

from __future__ import annotations

from flask import g, jsonify, request

from ..auth.install import shop_for_session
from ..auth.views import PATCH_ID_TOKEN_PATH, request_input
from ..integrations.shopify.errors import ShopifyError
from ..services import services
from . import bp


def error_response(status: int, message: str, headers: dict | None = None):
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.before_request
def authenticate():
    svc = services()
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return error_response(
            401, "send the App Bridge session token as 'Authorization: Bearer <token>'")
    result = svc.shopify_app.verify_app_home_req(request_input(), PATCH_ID_TOKEN_PATH)
    if not result.ok:
        return error_response(401, f"session token refused ({result.log.code})",
                              result.response.headers)
    try:
        g.shop = shop_for_session(svc, f"{result.shop}.myshopify.com", result.id_token)
    except ShopifyError as exc:
        return error_response(502, f"could not install the app for this shop: {exc}")
