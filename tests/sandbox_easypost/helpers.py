"""What the sandbox EasyPost's tests share: addresses, a parcel, a webhook receiver, and
shipments made with the real `easypost` client.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "sécret"  # non-ASCII on purpose: EasyPost normalises the secret to NFKD
FROM = {"name": "Shop", "street1": "1 SW Main St", "city": "Portland", "state": "OR",
        "zip": "97205"}
TO = {"name": "Elizabeth Swan", "street1": "179 N Harbor Dr", "city": "Redondo Beach",
      "state": "CA", "zip": "90277"}
EAST = {"name": "Jack Sparrow", "street1": "20 W 34th St", "city": "New York", "state": "NY",
        "zip": "10001"}
BOX = {"length": 10, "width": 8, "height": 4, "weight": 15.4}


class Receiver:
    """A tiny webhook endpoint: records every delivery, can fail the next N."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.fail_next = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    failing = outer.fail_next > 0
                    outer.fail_next -= failing
                    if not failing:
                        outer.received.append((dict(self.headers), body))
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/easypost"

    def events(self) -> list[dict]:
        with self.lock:
            return [json.loads(body) for _, body in self.received]


def new_shipment(client, parcel=BOX, to=TO, **extra):
    return client.shipment.create(from_address=FROM, to_address=to, parcel=parcel, **extra)


def rate_of(shipment, carrier, service):
    return next(r for r in shipment.rates if r.carrier == carrier and r.service == service)
