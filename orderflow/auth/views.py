"""The patch-id-token page for embedded pages, and the OAuth code flow for non-embedded installs."""

from __future__ import annotations

import secrets
import time

from flask import make_response, redirect, render_template, request, session

from ..integrations.shopify.errors import ShopifyError
from ..integrations.shopify.oauth import authorize_url, valid_shop_domain, verify_query_hmac
from ..services import services
from . import bp
from .install import complete_install

PATCH_ID_TOKEN_PATH = "/auth/patch-id-token"
_CALLBACK_MAX_AGE = 600


def request_input(body: str = "") -> dict:
    return {"method": request.method, "headers": dict(request.headers), "url": request.url,
            "body": body}


def library_response(result):
    response = make_response(result.response.body or "", result.response.status)
    response.headers.update(result.response.headers)
    return response


@bp.get(PATCH_ID_TOKEN_PATH)
def patch_id_token():
    return library_response(services().shopify_app.app_home_patch_id_token(request_input()))


@bp.get("/auth/install")
def install():
    svc = services()
    shop = request.args.get("shop", "")
    if not valid_shop_domain(shop):
        return render_template("error.html", message="Give your shop as name.myshopify.com"), 400
    session["oauth_state"] = state = secrets.token_urlsafe(24)
    session["oauth_shop"] = shop
    redirect_uri = svc.settings.APP_URL.rstrip("/") + "/auth/callback"
    return redirect(authorize_url(shop, svc.settings.SHOPIFY_API_KEY, svc.settings.SHOPIFY_SCOPES,
                                  redirect_uri, state, svc.settings.SHOPIFY_SANDBOX_URL))


def _callback_problem(svc) -> str | None:
    args = request.args
    pairs = list(args.items(multi=True))
    api_secrets = [svc.settings.SHOPIFY_API_SECRET, svc.settings.SHOPIFY_API_SECRET_OLD]
    if not verify_query_hmac(pairs, api_secrets):
        return "the request is not signed by Shopify"
    expected = session.pop("oauth_state", None)
    if not expected or not secrets.compare_digest(expected, args.get("state", "")):
        return "the install was not started here, or it was started twice: start it again"
    shop = args.get("shop", "")
    if not valid_shop_domain(shop) or shop != session.pop("oauth_shop", None):
        return "the shop domain is not valid"
    timestamp = args.get("timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > _CALLBACK_MAX_AGE:
        return "the request is too old: start the install again"
    if not args.get("code"):
        return "Shopify sent no authorization code"
    return None


@bp.get("/auth/callback")
def callback():
    svc = services()
    problem = _callback_problem(svc)
    if problem:
        return render_template("error.html", message=f"Install refused: {problem}"), 400
    shop = request.args["shop"]
    try:
        complete_install(svc, shop, svc.tokens.exchange_code(shop, request.args["code"]))
    except ShopifyError as exc:
        return render_template("error.html", message=f"Install failed: {exc}"), 502
    return render_template("installed.html", shop=shop)

