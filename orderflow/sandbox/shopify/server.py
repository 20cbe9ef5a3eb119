"""The Flask app and the `SandboxShopify` server that runs it in background threads."""

from __future__ import annotations

import io
import threading

from flask import Flask, jsonify
from werkzeug.serving import WSGIRequestHandler, make_server

from .admin import admin_blueprint
from .control import control_blueprint
from .core import SandboxConfig, SandboxCore


class _QuietHandler(WSGIRequestHandler):
    """Keeps connections open, as Shopify does (werkzeug's handler closes each one after its
    answer, so every API call paid for a new connection and a new server thread). The request
    body is read in full and the answer sent with its length, so the connection is ready for the
    next request; a chunked request body still closes it."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # a kept connection must not hold small answers back

    def log_request(self, *args, **kwargs) -> None:  # no access log lines
        pass

    def run_wsgi(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return super().run_wsgi()
        environ = self.make_environ()
        length = int(self.headers.get("Content-Length") or 0)
        environ["wsgi.input"] = io.BytesIO(self.rfile.read(length))
        started: list = []
        body = _answer(self.server.app, environ, lambda status, headers, exc=None: started.extend(
            [status, headers]))
        code, _, reason = started[0].partition(" ")
        self.send_response(int(code), reason)
        for name, value in started[1]:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(b"\r\n" + (body if self.command != "HEAD" else b""))
        self.flush_headers()  # headers and body in one write


def _answer(app, environ: dict, start_response) -> bytes:
    result = app(environ, start_response)
    try:
        return b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()


def create_app(core: SandboxCore) -> Flask:
    app = Flask("orderflow.sandbox.shopify")
    app.json.sort_keys = False  # keep Shopify's key order
    app.json.ensure_ascii = False
    app.register_blueprint(admin_blueprint(core))
    app.register_blueprint(control_blueprint(core))

    @app.errorhandler(404)
    def not_found(_exc):
        return jsonify({"errors": "Not Found"}), 404

    @app.errorhandler(405)
    def not_allowed(_exc):
        return jsonify({"errors": "Method Not Allowed"}), 405

    return app


class SandboxShopify:
    """A local stand-in for Shopify's Admin API, served over loopback HTTP.

    `start()` runs a threaded werkzeug server and the webhook dispatcher in daemon threads;
    `url` is then the base URL (requests keep `Host: <shop>.myshopify.com`).
    Extra keyword arguments: `app_url` (embedded admin iframe origin), `scopes`.
    """

    def __init__(self, client_id: str, client_secret: str, app_webhooks_uri: str | None = None,
                 host: str = "127.0.0.1", port: int = 0,
                 api_versions: tuple[str, ...] = ("2026-10", "2026-07"), time_scale: float = 1.0,
                 throttle_max: float = 2000.0, throttle_restore: float = 100.0,
                 token_ttl: int = 3600, refresh_token_ttl: int = 7776000,
                 webhook_timeout: float = 5.0, **extra):
        config = SandboxConfig(
            client_id=client_id, client_secret=client_secret, app_webhooks_uri=app_webhooks_uri,
            api_versions=tuple(api_versions), time_scale=time_scale, throttle_max=throttle_max,
            throttle_restore=throttle_restore, token_ttl=token_ttl,
            refresh_token_ttl=refresh_token_ttl, webhook_timeout=webhook_timeout, **extra)
        self.core = SandboxCore(config)
        self.app = create_app(self.core)
        self._host, self._port = host, port
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("SandboxShopify is not started")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def store(self):
        return self.core.store

    def start(self) -> SandboxShopify:
        self._server = make_server(self._host, self._port, self.app, threaded=True,
                                   request_handler=_QuietHandler)
        self.core.dispatcher.start()
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="sandbox-shopify", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.core.dispatcher.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait_webhooks_idle(self, timeout: float = 30) -> bool:
        """True once no webhook is queued, in flight or waiting for a retry (held excluded)."""
        return self.core.dispatcher.wait_idle(timeout)

    def __enter__(self) -> SandboxShopify:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_forever(client_id: str, client_secret: str, app_webhooks_uri: str | None,
                  host: str = "127.0.0.1", port: int = 8081, **kw) -> None:
    """Run the sandbox in the foreground (for a CLI command) until interrupted."""
    sandbox = SandboxShopify(client_id, client_secret, app_webhooks_uri, host=host, port=port,
                             **kw).start()
    print(f"Sandbox Shopify listening on {sandbox.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
