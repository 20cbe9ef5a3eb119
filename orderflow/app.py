"""The application factory: settings, services, blueprints and CLI commands. Nothing else."""

from __future__ import annotations

from flask import Flask

from .config import load_settings
from .services import build_services


def create_app(config: dict | None = None) -> Flask:
    settings = load_settings(config)
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.SECRET_KEY, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production, MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )
    app.extensions["orderflow"] = build_services(settings, app)

    from . import admin, api, auth, tracking, unsubscribe, webhooks
    for package in (webhooks, auth, api, admin, unsubscribe, tracking):
        app.register_blueprint(package.bp)

    from .cli.commands import register
    register(app, create_app)
    return app
