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

    from .api import shipping as _shipping_routes, tracking as _tracking_routes  # noqa: F401
    from .api import views as _order_routes  # noqa: F401
    from .admin import bp as admin_bp
    from .api.blueprint import bp as api_bp
    from .auth.views import bp as auth_bp
    from .emails.views import bp as emails_bp
    from .tracking_page import bp as tracking_page_bp
    from .webhooks import easypost as _carrier_hooks  # noqa: F401
    from .webhooks.shopify import bp as webhooks_bp

    app.register_blueprint(webhooks_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(emails_bp)
    app.register_blueprint(tracking_page_bp)

    from .cli import register
    register(app)
    return app
