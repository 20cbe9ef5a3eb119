"""HTTP for Shopify: one client per process, timeouts always set.

With a sandbox URL, every request to `*.myshopify.com` goes to the sandbox instead. The request
keeps its `Host: <shop>.myshopify.com` header, which is how the sandbox knows the shop.
"""

from __future__ import annotations

import httpx


class SandboxTransport(httpx.HTTPTransport):
    def __init__(self, sandbox_url: str, **kwargs):
        super().__init__(**kwargs)
        self._target = httpx.URL(sandbox_url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host.endswith(".myshopify.com"):
            request.url = request.url.copy_with(
                scheme=self._target.scheme, host=self._target.host, port=self._target.port
            )
        return super().handle_request(request)


def make_http_client(sandbox_url: str = "", timeout: float = 10.0) -> httpx.Client:
    transport = SandboxTransport(sandbox_url) if sandbox_url else httpx.HTTPTransport(retries=1)
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
    return httpx.Client(transport=transport, timeout=httpx.Timeout(timeout), limits=limits)


def admin_url(shop_domain: str, path: str, sandbox_url: str = "") -> str:
    """A URL on the shop's admin that a *browser* follows (the sandbox cannot rewrite those)."""
    if sandbox_url:
        sep = "&" if "?" in path else "?"
        return f"{sandbox_url.rstrip('/')}{path}{sep}shop={shop_domain}"
    return f"https://{shop_domain}{path}"
