"""The customer's tracking page: one shipment at an unguessable URL, nothing else."""

from flask import Blueprint

bp = Blueprint("tracking", __name__)

from . import views  # noqa: E402,F401  (routes register on bp)
