"""OAuth: the authorize redirect, /admin/oauth/access_token grants and session tokens (JWT)."""

from __future__ import annotations

import secrets
import time
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt

from .core import SandboxCore
from .models import AccessToken, AuthCode, RefreshToken
from .util import hmac_hex, random_token, shop_host_param

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
ONLINE_TYPE = "urn:shopify:params:oauth:token-type:online-access-token"
CODE_TTL = 60
ONLINE_TTL = 86399


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.body = status, {"error": error, "error_description": description}


def signed_query(params: dict, secret: str) -> dict:
    """Shopify's rule: hex HMAC-SHA256 over the other params sorted by key, `k=v&k=v`."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return {**params, "hmac": hmac_hex(secret, message)}


def authorize(core: SandboxCore, args: dict, shop_domain: str | None) -> str:
    """The merchant approves at once: the URL to redirect to (code, hmac, host, shop...)."""
    if args.get("client_id") != core.config.client_id:
        raise OAuthError(400, "invalid_request", "Oauth error invalid_request: The client_id "
                                                 "is invalid")
    shop = core.store.shop(shop_domain)
    if shop is None:
        raise OAuthError(404, "not_found", f"There is no store at {shop_domain!r}")
    redirect_uri = args.get("redirect_uri")
    if not redirect_uri:
        raise OAuthError(400, "invalid_request", "redirect_uri is required")
    code = secrets.token_hex(16)
    online = args.get("grant_options[]") == "per-user"
    with core.store.lock:
        core.store.codes[code] = AuthCode(code, shop.domain, args.get("scope") or
                                          core.config.scopes, online, time.time() + CODE_TTL)
    params = {"code": code, "host": shop_host_param(shop.domain), "shop": shop.domain,
              "timestamp": str(int(time.time()))}
    if args.get("state") is not None:
        params["state"] = args["state"]
    return _with_query(redirect_uri, signed_query(params, core.config.client_secret))


def _with_query(url: str, params: dict) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def access_token(core: SandboxCore, params: dict, host_shop: str | None) -> dict:
    _check_client(core, params)
    grant = params.get("grant_type")
    if grant == TOKEN_EXCHANGE:
        return _token_exchange(core, params, host_shop)
    if grant == "refresh_token":
        return _refresh(core, params)
    if grant in (None, "", "authorization_code"):
        return _authorization_code(core, params, host_shop)
    raise OAuthError(400, "unsupported_grant_type", f"grant_type {grant!r} is not supported")


def _check_client(core: SandboxCore, params: dict) -> None:
    if params.get("client_id") != core.config.client_id:
        raise OAuthError(400, "invalid_client", "Client credentials are invalid: unknown "
                                                "client_id")
    if params.get("client_secret") != core.config.client_secret:
        raise OAuthError(401, "invalid_client", "Client credentials are invalid")


def _expiring(params: dict) -> bool:
    return str(params.get("expiring", "0")).lower() in ("1", "true")


def _authorization_code(core: SandboxCore, params: dict, host_shop: str | None) -> dict:
    with core.store.lock:
        record = core.store.codes.pop(params.get("code") or "", None)
    if record is None or record.expires_at < time.time():
        raise OAuthError(400, "invalid_grant", "The authorization code was not found or was "
                                               "already used")
    if host_shop and host_shop != record.shop:
        raise OAuthError(400, "invalid_grant", "The authorization code belongs to another shop")
    user = {"id": 1} if record.online else None
    return issue(core, record.shop, record.scopes, record.online, _expiring(params), user)


def _token_exchange(core: SandboxCore, params: dict, host_shop: str | None) -> dict:
    token = params.get("subject_token")
    if not token:
        raise OAuthError(400, "missing_subject_token", "subject_token is required")
    claims = verify_session_token(core, token)
    shop_domain = claims["dest"].removeprefix("https://")
    if host_shop and host_shop != shop_domain:
        raise OAuthError(400, "invalid_subject_token", "The session token is for another shop")
    shop = core.store.shop(shop_domain)
    if shop is None:
        raise OAuthError(400, "invalid_subject_token", f"Unknown shop {shop_domain}")
    requested = params.get("requested_token_type") or OFFLINE_TYPE
    if requested not in (OFFLINE_TYPE, ONLINE_TYPE):
        raise OAuthError(400, "invalid_request", f"Unsupported requested_token_type {requested}")
    scopes = shop.scopes or core.config.scopes
    online = requested == ONLINE_TYPE
    user = {"id": int(claims["sub"]) if str(claims.get("sub", "")).isdigit() else 1}
    return issue(core, shop.domain, scopes, online, _expiring(params), user if online else None)


def verify_session_token(core: SandboxCore, token: str) -> dict:
    try:
        claims = jwt.decode(token, core.config.client_secret, algorithms=["HS256"],
                            audience=core.config.client_id,
                            options={"require": ["exp", "nbf", "aud", "dest"]})
    except jwt.PyJWTError as exc:
        raise OAuthError(400, "invalid_subject_token", f"Invalid session token: {exc}") from None
    if not str(claims.get("dest", "")).startswith("https://"):
        raise OAuthError(400, "invalid_subject_token", "Invalid session token: bad dest")
    return claims


def _refresh(core: SandboxCore, params: dict) -> dict:
    with core.store.lock:
        record = core.store.refresh_tokens.pop(params.get("refresh_token") or "", None)
    if record is None or record.expires_at < time.time():
        raise OAuthError(400, "invalid_grant", "The refresh token is invalid, expired or "
                                               "already used")
    return issue(core, record.shop, record.scopes, online=False, expiring=True, user=None)


def issue(core: SandboxCore, shop_domain: str, scopes: str, online: bool, expiring: bool,
          user: dict | None) -> dict:
    """Create and record an access token; the answer in Shopify's shape."""
    cfg, now = core.config, time.time()
    ttl = ONLINE_TTL if online else (cfg.token_ttl if expiring else None)
    token = AccessToken(random_token("shpua_" if online else "shpat_"), shop_domain, scopes,
                        online, now + ttl if ttl else None, user)
    body: dict = {"access_token": token.token, "scope": scopes}
    with core.store.lock:
        core.store.tokens[token.token] = token
        shop = core.store.shop(shop_domain)
        if shop is not None:
            shop.scopes = scopes
        if online:
            body.update(_online_fields(user or {"id": 1}, scopes))
        elif expiring:
            refresh = RefreshToken(random_token("shprt_"), shop_domain, scopes,
                                   now + cfg.refresh_token_ttl)
            core.store.refresh_tokens[refresh.token] = refresh
            body.update({"expires_in": cfg.token_ttl, "refresh_token": refresh.token,
                         "refresh_token_expires_in": cfg.refresh_token_ttl})
    return body


def _online_fields(user: dict, scopes: str) -> dict:
    uid = user["id"]
    return {
        "expires_in": ONLINE_TTL,
        "associated_user_scope": scopes,
        "session": secrets.token_hex(16),
        "account_number": 0,
        "associated_user": {
            "id": uid, "first_name": "Sandbox", "last_name": f"User {uid}",
            "email": f"user{uid}@example.com", "account_owner": uid == 1, "locale": "en",
            "collaborator": False, "email_verified": True,
        },
    }


def session_token(core: SandboxCore, shop: str, sub: str = "1", ttl: int = 60,
                  aud: str | None = None, secret: str | None = None) -> str:
    """What App Bridge hands an embedded app: an HS256 JWT signed with the client secret."""
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin", "dest": f"https://{shop}",
        "aud": aud or core.config.client_id, "sub": str(sub),
        "exp": now + int(ttl), "nbf": min(now, now + int(ttl)), "iat": now,
        "jti": str(uuid.uuid4()), "sid": secrets.token_hex(16),
    }
    return jwt.encode(claims, secret or core.config.client_secret, algorithm="HS256")
