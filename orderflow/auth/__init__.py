"""Install: the patch-id-token page, token exchange and the OAuth code flow."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import views  # noqa: E402,F401  (routes register on bp)
