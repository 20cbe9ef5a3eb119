"""The sandbox Shopify's OAuth: the authorize redirect, token exchange of session tokens, refresh,
expiry, and the embedded admin page's session token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt

from orderflow.integrations.shopify import queries
from orderflow.sandbox.shopify import SandboxShopify

from .helpers import CLIENT_ID, OTHER_SECRET, SECRET, Shop, start_sandbox, wait_until

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
OFFLINE = "urn:shopify:params:oauth:token-type:offline-access-token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"


def token_request(sandbox: SandboxShopify, **params) -> httpx.Response:
    body = {"client_id": CLIENT_ID, "client_secret": SECRET, **params}
    return httpx.post(sandbox.url + "/admin/oauth/access_token", json=body)


def session_jwt(domain: str, secret: str = SECRET, aud: str = CLIENT_ID, ttl: int = 60) -> str:
    now = int(time.time())
    return jwt.encode({"iss": f"https://{domain}/admin", "dest": f"https://{domain}",
                       "aud": aud, "sub": "42", "exp": now + ttl, "nbf": now - 1, "iat": now,
                       "jti": str(uuid.uuid4()), "sid": "s"}, secret, algorithm="HS256")


def exchange(sandbox: SandboxShopify, subject_token: str, **extra) -> httpx.Response:
    return token_request(sandbox, grant_type=TOKEN_EXCHANGE, subject_token=subject_token,
                         subject_token_type=ID_TOKEN, requested_token_type=OFFLINE, **extra)


def test_authorize_redirect_is_signed_and_code_is_single_use(sandbox, shop):
    http = httpx.Client(base_url=sandbox.url)
    params = {"client_id": CLIENT_ID, "scope": "read_orders", "state": "nonce-1",
              "redirect_uri": "https://app.example/auth/callback", "grant_options[]": "",
              "shop": shop.domain}
    response = http.get("/admin/oauth/authorize", params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc == "app.example" and location.path == "/auth/callback"
    query = dict(parse_qsl(location.query))
    received = query.pop("hmac")
    message = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    assert hmac.compare_digest(
        received, hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest())
    assert query["state"] == "nonce-1" and query["shop"] == shop.domain
    host = base64.urlsafe_b64decode(query["host"] + "==").decode()
    assert host == f"admin.shopify.com/store/{shop.domain.removesuffix('.myshopify.com')}"

    granted = token_request(sandbox, code=query["code"]).json()
    assert set(granted) == {"access_token", "scope"} and granted["scope"] == "read_orders"
    assert token_request(sandbox, code=query["code"]).json()["error"] == "invalid_grant"
    assert http.get("/admin/oauth/authorize", params={**params, "client_id": "x"}) \
        .status_code == 400
    assert http.get("/admin/oauth/authorize",
                    params={**params, "shop": "nope.myshopify.com"}).status_code == 404


def test_token_exchange_accepts_only_valid_session_tokens(sandbox, shop):
    answer = exchange(sandbox, session_jwt(shop.domain), expiring=1)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["access_token"].startswith("shpat_") and body["refresh_token"].startswith("shprt_")
    assert body["expires_in"] == 3600 and body["refresh_token_expires_in"] == 7776000
    assert shop.graphql(queries.SHOP_INFO, token=body["access_token"]).status_code == 200
    other = Shop(sandbox)
    assert other.graphql(queries.SHOP_INFO, token=body["access_token"]).status_code == 401

    non_expiring = exchange(sandbox, session_jwt(shop.domain), expiring=0).json()
    assert set(non_expiring) == {"access_token", "scope"}
    for bad in (session_jwt(shop.domain, aud="someone-else"),
                session_jwt(shop.domain, secret=OTHER_SECRET),
                session_jwt(shop.domain, ttl=-30)):
        rejected = exchange(sandbox, bad)
        assert rejected.status_code == 400
        assert rejected.json()["error"] == "invalid_subject_token"
    wrong_client = token_request(sandbox, grant_type=TOKEN_EXCHANGE,
                                 subject_token=session_jwt(shop.domain), client_secret="nope")
    assert wrong_client.status_code == 401 and wrong_client.json()["error"] == "invalid_client"
    minted = shop.http.post("/sandbox/session-token", json={"shop": shop.domain}).json()["token"]
    assert exchange(sandbox, minted).status_code == 200


def test_refresh_rotates_the_refresh_token(sandbox, shop):
    first = exchange(sandbox, session_jwt(shop.domain), expiring=1).json()
    second = token_request(sandbox, grant_type="refresh_token",
                           refresh_token=first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert shop.graphql(queries.SHOP_INFO, token=rotated["access_token"]).status_code == 200
    reused = token_request(sandbox, grant_type="refresh_token",
                           refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_expired_access_token_is_rejected(receiver):
    sandbox = start_sandbox(receiver, token_ttl=1)
    try:
        shop = Shop(sandbox)
        assert shop.graphql(queries.SHOP_INFO).status_code == 200
        wait_until(lambda: shop.graphql(queries.SHOP_INFO).status_code == 401, timeout=5)
    finally:
        sandbox.stop()


def test_embedded_admin_page_carries_a_valid_session_token(sandbox, receiver, shop):
    page = shop.http.get("/admin/apps/embedded", params={"shop": shop.domain})
    assert page.status_code == 200 and "<iframe" in page.text
    src = page.text.split('src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert src.startswith(receiver.url + "/?")
    params = dict(parse_qsl(urlsplit(src).query))
    assert params["embedded"] == "1" and params["shop"] == shop.domain
    claims = jwt.decode(params["id_token"], SECRET, algorithms=["HS256"], audience=CLIENT_ID)
    assert claims["dest"] == f"https://{shop.domain}"
