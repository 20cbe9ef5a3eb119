"""The embedded admin: the pages a merchant uses inside the Shopify admin.

Every page is server-rendered and authenticated like the app home: App Bridge puts a session
token (`id_token`) on each document request; without one, or with a stale one, the request is
sent to the patch-id-token page, which gets a fresh token from App Bridge and reloads. Links and
forms carry the current token, so the pages also work where App Bridge's script is absent.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import auth, batches, dashboard, order_actions, orders, reports, settings  # noqa: E402,F401  (routes register on bp)
