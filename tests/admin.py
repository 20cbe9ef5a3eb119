"""Opening the embedded admin's pages in Chromium as Shopify's admin would, offline.

Shopify loads each page with the shop, the host and a fresh session token (`id_token`) in the
query. App Bridge comes from Shopify's CDN, which tests cannot reach: `cdn="stub"` serves an empty
script in its place (the page must then load without a console error), `cdn="absent"` fails the
request (the page must still be usable).
"""

from __future__ import annotations

import base64
from contextlib import contextmanager
from urllib.parse import urlencode

from .browser import DESKTOP, visit
from .helpers import session_token

CDN = "https://cdn.shopify.com/**"


def page_url(base_url: str, shop: str, path: str = "/", **params) -> str:
    admin_path = f"admin.shopify.com/store/{shop.split('.')[0]}"
    host = base64.urlsafe_b64encode(admin_path.encode()).decode().rstrip("=")
    query = {"shop": shop, "host": host, "embedded": "1", "id_token": session_token(shop), **params}
    return f"{base_url}{path}?{urlencode(query, doseq=True)}"


def _cdn(mode: str):
    def setup(context):
        if mode == "stub":
            context.route(CDN, lambda route: route.fulfill(
                status=200, content_type="text/javascript", body=""))
        else:
            context.route(CDN, lambda route: route.abort())
    return setup


@contextmanager
def admin_visit(browser, base_url: str, shop: str, path: str, screenshot: str, *, cdn: str = "stub",
                viewport=DESKTOP, javascript: bool = True, **params):
    with visit(browser, page_url(base_url, shop, path, **params), screenshot, viewport=viewport,
               javascript=javascript, setup=_cdn(cdn)) as seen:
        yield seen
