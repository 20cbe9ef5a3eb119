"""The Shopify-facing routes: OAuth, the GraphQL Admin API and the embedded-app admin page."""

from __future__ import annotations

import html
import time
import uuid
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, request

from .core import SandboxCore
from .graphql import Context, execute
from .oauth import OAuthError, access_token, authorize, session_token, signed_query
from .selection import operation_header
from .util import shop_host_param

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


def request_shop() -> str | None:
    """The shop of a request: a *.myshopify.com Host header, else the `shop` parameter."""
    host = (request.host or "").split(":")[0].lower()
    if host.endswith(".myshopify.com"):
        return host
    return (request.args.get("shop") or "").strip().lower() or None


def host_shop() -> str | None:
    host = (request.host or "").split(":")[0].lower()
    return host if host.endswith(".myshopify.com") else None


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["X-Request-Id"] = str(uuid.uuid4())
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def admin_blueprint(core: SandboxCore) -> Blueprint:
    bp = Blueprint("shopify_admin", __name__)

    @bp.get("/admin/oauth/authorize")
    def oauth_authorize():
        try:
            return redirect(authorize(core, request.args.to_dict(), request_shop()), code=302)
        except OAuthError as exc:
            return _json(exc.body, exc.status)

    @bp.post("/admin/oauth/access_token")
    def oauth_access_token():
        params = request.get_json(silent=True)
        if not isinstance(params, dict):
            params = request.form.to_dict() or request.args.to_dict()
        try:
            return _json(access_token(core, params, host_shop()))
        except OAuthError as exc:
            return _json(exc.body, exc.status)

    @bp.post("/admin/api/<version>/graphql.json")
    def graphql(version: str):
        fault = _admin_fault(core)
        if fault is not None:
            return fault
        shop = core.store.shop(request_shop())
        if version not in core.config.api_versions or shop is None:
            return _json({"errors": "Not Found"}, 404)
        token = request.headers.get("X-Shopify-Access-Token")
        with core.store.lock:
            valid = core.store.valid_token(token, shop.domain)
        if valid is None:
            return _json({"errors": INVALID_TOKEN}, 401)
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not body.get("query"):
            return _json({"errors": {"query": "Required parameter missing or invalid"}}, 400)
        answer = execute(Context(core, shop, version), body)
        _slow_fulfillment_answer(core, body, answer)
        if _answer_lost(core, body, answer):
            return Response(_BAD_GATEWAY, status=502, mimetype="text/html",
                            headers={"X-Request-Id": str(uuid.uuid4())})
        return _json(answer)

    @bp.get("/admin/apps/embedded")
    def embedded_admin():
        shop = core.store.shop(request_shop())
        if shop is None:
            return _json({"errors": "Not Found"}, 404)
        app_url = request.args.get("app_url") or app_origin(core)
        if not app_url:
            return _json({"errors": "no app_url configured"}, 400)
        params = signed_query({
            "embedded": "1", "host": shop_host_param(shop.domain),
            "id_token": session_token(core, shop.domain), "locale": "en",
            "session": uuid.uuid4().hex, "shop": shop.domain,
            "timestamp": str(int(time.time())),
        }, core.config.client_secret)
        src = f"{app_url.rstrip('/')}/?{urlencode(params)}"
        return Response(_ADMIN_PAGE.format(shop=html.escape(shop.name),
                                           src=html.escape(src, quote=True)),
                        mimetype="text/html")

    return bp


def app_origin(core: SandboxCore) -> str | None:
    if core.config.app_url:
        return core.config.app_url
    if core.config.app_webhooks_uri:
        parts = urlsplit(core.config.app_webhooks_uri)
        return f"{parts.scheme}://{parts.netloc}"
    return None


def _admin_fault(core: SandboxCore) -> Response | None:
    """Latency, 503 and 429 faults for Admin API requests (counters are consumed here)."""
    with core.store.lock:
        faults = core.store.faults
        latency = faults.latency_ms
        if faults.fail_5xx > 0:
            faults.fail_5xx -= 1
            answer = _json({"errors": "Service Unavailable"}, 503)
        elif faults.http_429 > 0:
            faults.http_429 -= 1
            answer = _json({"errors": "Exceeded 2 calls per second for api client. Reduce "
                                      "request rates to resume uninterrupted service."},
                           429, {"Retry-After": "1"})
        else:
            answer = None
    if latency:
        time.sleep(latency / 1000)
    return answer


def _created_fulfillment(body: dict, answer: dict) -> bool:
    if "data" not in answer:  # throttled or refused: nothing ran
        return False
    _, name = operation_header(body.get("query") or "")
    return (name or body.get("operationName")) == "FulfillmentCreate"


def _slow_fulfillment_answer(core: SandboxCore, body: dict, answer: dict) -> None:
    """The `slow_fulfillment_answer_ms` fault: the fulfilment exists before its answer leaves
    (a client killed meanwhile never learns its id)."""
    with core.store.lock:
        delay = core.store.faults.slow_fulfillment_answer_ms
    if delay and _created_fulfillment(body, answer):
        time.sleep(delay / 1000)


def _answer_lost(core: SandboxCore, body: dict, answer: dict) -> bool:
    """The `lose_fulfillment_answer` fault: a fulfillmentCreate that ran (whatever it
    answered) gets a 502 instead, so the client cannot know whether it took effect."""
    if not _created_fulfillment(body, answer):
        return False
    with core.store.lock:
        faults = core.store.faults
        if faults.lose_fulfillment_answer <= 0:
            return False
        faults.lose_fulfillment_answer -= 1
        return True


_BAD_GATEWAY = """<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>502 Bad Gateway</h1><p>The server returned an invalid or incomplete response.</p>
</body></html>
"""

_ADMIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{shop} · Sandbox Shopify admin</title>
<style>body{{margin:0;font-family:sans-serif}}header{{background:#1a1a1a;color:#fff;
padding:8px 16px}}iframe{{border:0;width:100%;height:calc(100vh - 40px)}}</style></head>
<body><header>Sandbox Shopify admin — {shop}</header>
<iframe name="app-iframe" src="{src}" title="App"></iframe></body></html>
"""
