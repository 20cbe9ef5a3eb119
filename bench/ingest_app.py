"""The app as production runs it, plus a baseline route for bench/webhook_ingest.py.

    gunicorn --workers 2 'bench.ingest_app:create()'      (cwd: the repository root)

Settings come from the environment, exactly as `orderflow:create_app()` reads them (the bench sets
APP_ENV, DATABASE_URL, REDIS_URL, SHOPIFY_API_KEY/SECRET, SHOPIFY_SANDBOX_URL, APP_URL).

Two routes are added, nothing else changes:

* `POST /bench/baseline`: the least a lossless webhook intake can do. It verifies the HMAC with the
  very call the real route makes (`shopify_app.verify_webhook_req`, the `shopifyapp` library), then
  makes one durable `INSERT ... ON CONFLICT DO NOTHING` into `bench_baseline` and commits through
  the app's own SQLAlchemy engine, and answers 200 with an empty body (as the real route does for a
  new delivery). The bench creates `bench_baseline` itself, so the product schema stays clean.
* `POST /bench/hmac`: the same HMAC check and nothing else (calibration, `--calibrate`).
* `GET /bench/ping`: liveness for the bench (answers `pong`).
"""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import text

from orderflow import create_app

BASELINE_TABLE = ("CREATE TABLE IF NOT EXISTS bench_baseline "
                  "(webhook_id text PRIMARY KEY, body text NOT NULL)")
_INSERT = text("INSERT INTO bench_baseline (webhook_id, body) VALUES (:webhook_id, :body) "
               "ON CONFLICT DO NOTHING")


def create():
    app = create_app()
    svc = app.extensions["orderflow"]

    def verified():
        """(body, None) when the HMAC is right, else (None, the refusal), as the real route does."""
        raw = request.get_data(cache=False)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None, (jsonify(error="the body is not UTF-8"), 400)
        verdict = svc.shopify_app.verify_webhook_req(
            {"method": "POST", "headers": dict(request.headers), "url": request.url, "body": body})
        if not verdict.ok:
            return None, (jsonify(error=verdict.log.code), verdict.response.status)
        return body, None

    @app.post("/bench/baseline")
    def bench_baseline():
        body, refusal = verified()
        if refusal:
            return refusal
        webhook_id = request.headers.get("X-Shopify-Webhook-Id")
        if not webhook_id:
            return jsonify(error="X-Shopify-Webhook-Id is required"), 400
        with svc.db.engine.begin() as conn:
            conn.execute(_INSERT, {"webhook_id": webhook_id, "body": body})
        return "", 200

    @app.post("/bench/hmac")
    def bench_hmac():
        _body, refusal = verified()
        return refusal or ("", 200)

    @app.get("/bench/ping")
    def bench_ping():
        return "pong", 200

    return app
