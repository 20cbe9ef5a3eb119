"""The WSGI app (auth, faults, routing, EasyPost error bodies) and `SandboxEasyPost`."""

from __future__ import annotations

import base64
import json
import random
import socket
import threading
import time
import uuid
from urllib.parse import parse_qsl

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import routes, shipments
from .faults import Faults
from .labels import CONTENT_TYPES
from .state import Store
from .util import ApiError, not_found
from .webhooks import Dispatcher, Hook

JSON = "application/json; charset=utf-8"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass

    def log_error(self, *args, **kwargs) -> None:  # dropped connections are part of the job
        pass


def api_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer KEY` (python client) or HTTP Basic `KEY:`."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip()).decode().split(":", 1)[0] or None
        except (ValueError, UnicodeDecodeError):
            return None
    return None


def check_key(request: Request) -> None:
    key = api_key(request)
    if not key:
        raise ApiError(401, "APIKEY.REQUIRED",
                       "Please provide your API key as the username of HTTP Basic authentication.")
    if not key.startswith(("EZTK", "EZAK")):
        raise ApiError(401, "APIKEY.INACTIVE", "This API key is no longer active. Please use a "
                       "different API key or reactivate this key.")


def _nest(pairs) -> dict:
    """Form fields `address[street1]=...` -> {"address": {"street1": ...}} (Rails-style)."""
    out: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if parts[-1] == "":
            continue
        node[parts[-1]] = value
    return out


def parse_body(request: Request) -> dict:
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if "form-urlencoded" in (request.content_type or ""):
        return _nest(parse_qsl(raw.decode(), keep_blank_values=True))
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "BAD_REQUEST", "The request body is not valid JSON.") from None
    return body if isinstance(body, dict) else {}


def parse_query(request: Request) -> dict:
    query = {k: v for k, v in request.args.items()}
    for key in request.args:
        if key.endswith("[]"):
            query[key] = request.args.getlist(key)
    return query


def json_response(status: int, payload, lock) -> Response:
    with lock:  # payloads are live objects: serialise while nobody mutates them
        body = json.dumps(payload, separators=(", ", ": "))
    return Response(body, status=status, content_type=JSON,
                    headers={"x-ep-request-uuid": uuid.uuid4().hex,
                             "cache-control": "private, no-cache, no-store"})


class Context:
    """What a handler sees: the sandbox plus this request's base URL."""

    def __init__(self, box: SandboxEasyPost, base_url: str):
        self._box, self.base_url = box, base_url

    def __getattr__(self, name):
        return getattr(self._box, name)


class SandboxEasyPost:
    """A local stand-in for the EasyPost v2 API, served over loopback HTTP.

    `time_scale` multiplies simulated durations: 1.0 is real time (a 3-day delivery takes 3
    days), 0.0001 makes a day last ~8.6 s, 0 stops the automatic clock (use advance_trackers()).
    Webhook retry delays and refund settling follow the same clock.
    Extra keyword arguments: seed (tracking-code sequence), webhook_workers (1 keeps order),
    webhook_timeout, refund_delay (simulated seconds, default 3600), tick (ticker period),
    send_tracker_created (default True).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, webhook_url: str | None = None,
                 webhook_secret: str = "", time_scale: float = 1.0, latency_ms: float = 0.0, *,
                 seed: str = "sandbox", webhook_workers: int = 1, webhook_timeout: float = 5.0,
                 refund_delay: float = shipments.REFUND_SIM_SECONDS, tick: float = 0.05,
                 send_tracker_created: bool = True):
        self.host, self.port = host, port
        self.time_scale, self.latency_ms, self.tick = float(time_scale), float(latency_ms), tick
        self.refund_delay = refund_delay * max(0.0, self.time_scale)
        self.send_tracker_created = send_tracker_created
        self.faults = Faults()
        self.store = Store(self.time_scale, seed)
        self.dispatcher = Dispatcher(self.time_scale, self.faults, webhook_workers, webhook_timeout)
        self._default_hooks = [Hook(webhook_url, webhook_secret)] if webhook_url else []
        self.dispatcher.hooks = list(self._default_hooks)
        self.store.hook_urls = lambda: [h.url for h in self.dispatcher.hooks]
        self.url_map = routes.url_map()
        self._wake = threading.Event()
        self._server = None
        self._threads: list[threading.Thread] = []

    # ---- lifecycle -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("SandboxEasyPost is not started")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> SandboxEasyPost:
        self._server = make_server(self.host, self.port, self, threaded=True,
                                   request_handler=_QuietHandler)
        self.dispatcher.start()
        for target, name in ((self._server.serve_forever, "sandbox-easypost"),
                             (self._tick_loop, "sandbox-easypost-clock")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._wake.set()
        self.dispatcher.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _tick_loop(self) -> None:
        while not self._wake.wait(self.tick):
            self.emit(self.store.due_steps())
            shipments.settle_refunds(self.store)

    # ---- control -------------------------------------------------------------------------
    def emit(self, bodies: list[bytes], created: bool = False) -> None:
        if created and not self.send_tracker_created:
            return
        for body in bodies:
            self.dispatcher.submit(body)

    def sleep(self, seconds: float) -> None:
        """Sleep without holding any lock; cut short when the sandbox stops."""
        if seconds > 0:
            self._wake.wait(seconds)

    def advance_trackers(self, until: str | None = None) -> int:
        """Move every tracker one status (or on until status `until`); returns trackers moved."""
        moved, bodies = self.store.advance_all(until)
        self.emit(bodies)
        return moved

    def force_outcome(self, tracking_code: str, outcome: str) -> dict:
        """Re-plan a tracker: on_time, delayed, return_to_sender or failure."""
        return self.store.force_outcome(tracking_code, outcome)

    def settle_refunds(self, force: bool = True) -> int:
        return shipments.settle_refunds(self.store, force=force)

    def wait_webhooks_idle(self, timeout: float = 30) -> bool:
        return self.dispatcher.wait_idle(timeout)

    def set_faults(self, **faults) -> dict:
        return self.faults.update(faults)

    def clear_faults(self) -> dict:
        return self.faults.clear()

    def stats(self) -> dict:
        stats = self.store.snapshot_stats()
        with self.dispatcher._cond:
            stats["webhooks"] = dict(self.dispatcher.counts)
        stats["faults"] = self.faults.snapshot()
        return stats

    def reset(self) -> None:
        """Forget every object, fault, queued webhook and counter (keeps the constructor's hook)."""
        self.faults.clear()
        self.dispatcher.clear()
        with self.store.lock:
            self.store.reset()
            self.dispatcher.hooks = list(self._default_hooks)

    # ---- WSGI ----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.handle(request, environ)(environ, start_response)

    def handle(self, request: Request, environ) -> Response:
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, values = adapter.match()
        except NotFound:
            return self._error(not_found())
        except MethodNotAllowed:
            return self._error(ApiError(405, "METHOD.NOT_ALLOWED", "Method not allowed."))
        ctx = Context(self, request.host_url.rstrip("/"))
        try:
            if endpoint.startswith("api."):
                return self._api(ctx, request, environ, endpoint[4:], values)
            if endpoint == "public.label_file":
                data = shipments.label_file(self.store, values["label_id"], values["ext"])
                return Response(data, content_type=CONTENT_TYPES[values["ext"]])
            if endpoint == "public.track":
                tracker = self.store.get(self.store.trackers, values["oid"])
                return json_response(200, tracker, self.store.lock)
            handler = getattr(routes, endpoint.replace(".", "_"))
            body, query = parse_body(request), parse_query(request)
            status, payload = handler(ctx, body, query, request.method)
            return json_response(status, payload, self.store.lock)
        except ApiError as exc:
            return self._error(exc)

    def _api(self, ctx: Context, request: Request, environ, name: str, values: dict) -> Response:
        faults = self.faults.snapshot()
        jitter = random.uniform(0, faults["latency_jitter_ms"] or 0)
        self.sleep((self.latency_ms + faults["latency_ms"] + jitter) / 1000.0)
        check_key(request)
        with self.store.lock:
            self.store.stats["requests"][name] += 1
            self.store.stats["keys"][f"{name} {api_key(request)[-4:]}"] += 1
        path = request.path
        hang = self.faults.take("timeout", path)
        if hang and faults["timeout_mode"] != "after":
            self.sleep(faults["timeout_s"])
            return self._error(ApiError(504, "GATEWAY_TIMEOUT", "The request timed out."))
        if self.faults.take("http_429", path):
            return self._error(ApiError(429, "RATE_LIMITED", "You have exceeded the rate limit. "
                                        "Please retry with exponential backoff."))
        if self.faults.take("fail_5xx", path):
            status = int(faults["fail_5xx_status"])
            code = "SERVICE.UNAVAILABLE" if status == 503 else "INTERNAL_SERVER_ERROR"
            return self._error(ApiError(status, code, "Something went wrong on our end."))
        try:
            handler = getattr(routes, name)
            status, payload = handler(ctx, parse_body(request), parse_query(request), **values)
            response = json_response(status, payload, self.store.lock)
        except routes.LostAnswer as lost:
            return self._lost_answer(environ, lost.mode)
        if hang:
            self.sleep(faults["timeout_s"])
        return response

    def _lost_answer(self, environ, mode: str) -> Response:
        if mode == "drop":
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return Response(b"", status=500)
        status = int(mode) if str(mode).isdigit() else 500
        return self._error(ApiError(status, "INTERNAL_SERVER_ERROR",
                                    "Something went wrong on our end."))

    def _error(self, exc: ApiError) -> Response:
        return Response(json.dumps(exc.body(), separators=(", ", ": ")), status=exc.status,
                        content_type=JSON)


def serve_forever(host: str = "127.0.0.1", port: int = 8090, webhook_url: str | None = None,
                  webhook_secret: str = "", **kw) -> None:
    """Run the sandbox in the foreground until interrupted (`python -m ...sandbox.easypost`)."""
    box = SandboxEasyPost(host, port, webhook_url, webhook_secret, **kw).start()
    print(f"sandbox EasyPost on {box.url}/v2 (webhooks -> {webhook_url or 'none'})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        box.stop()
