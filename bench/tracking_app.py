"""The app as production runs it, plus a baseline carrier-webhook route for bench/tracking_burst.py.

    gunicorn --workers 2 'bench.tracking_app:create()'      (cwd: the repository root)

Settings come from the environment, exactly as `orderflow:create_app()` reads them.

Two routes are added, nothing else changes:

* `POST /bench/tracking-baseline`: the least a lossless carrier-webhook intake can do. It checks
  the `X-Hmac-Signature` with the very call the real route makes
  (`integrations.easypost.client.validate_webhook`, which also parses the JSON), takes the
  event's id, makes one durable `INSERT ... ON CONFLICT DO NOTHING` into
  `bench_tracking_baseline` through the app's own SQLAlchemy engine, commits, and answers 200 with
  an empty body (as the real route does for a new event). It does not look up which shop's parcel
  the tracking code belongs to: that lookup is part of what the real route pays for. The bench
  creates the table itself, so the product schema stays clean.
* `GET /bench/ping`: liveness for the bench (answers `pong`; the wrk script also uses it as a
  filler request once a connection has nothing left to send).
"""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import text

from orderflow import create_app
from orderflow.integrations.easypost.client import validate_webhook
from orderflow.integrations.easypost.errors import CarrierResponseError, WebhookSignatureError

BASELINE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_tracking_baseline "
    "(event_id text PRIMARY KEY, body text NOT NULL)"
)
_INSERT = text(
    "INSERT INTO bench_tracking_baseline (event_id, body) VALUES (:event_id, :body) "
    "ON CONFLICT DO NOTHING"
)


def create():
    app = create_app()
    svc = app.extensions["orderflow"]

    @app.post("/bench/tracking-baseline")
    def bench_tracking_baseline():
        raw = request.get_data(cache=False)
        try:
            event = validate_webhook(raw, request.headers, svc.settings.CARRIER_WEBHOOK_SECRET)
        except WebhookSignatureError as exc:
            return jsonify(error=str(exc)), 401
        except CarrierResponseError as exc:
            return jsonify(error=str(exc)), 400
        event_id = event.get("id")
        if not isinstance(event_id, str) or not event_id:
            return jsonify(error="the event has no usable id"), 400
        with svc.db.engine.begin() as conn:
            conn.execute(_INSERT, {"event_id": event_id, "body": raw.decode("utf-8")})
        return "", 200

    @app.get("/bench/ping")
    def bench_ping():
        return "pong", 200

    return app
