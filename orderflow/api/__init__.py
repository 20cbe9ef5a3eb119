"""The admin JSON API: App Bridge session tokens in, one shop's data out."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import auth, orders, shipping, tracking  # noqa: E402,F401  (routes register on bp)
