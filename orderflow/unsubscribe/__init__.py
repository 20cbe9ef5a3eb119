"""The unsubscribe link of customer emails: a confirmation page, and the POST that opts out."""

from flask import Blueprint

bp = Blueprint("unsubscribe", __name__, url_prefix="/email")

from . import views  # noqa: E402,F401  (routes register on bp)
