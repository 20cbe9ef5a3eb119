"""Inbound HTTP from Shopify and the carrier: verify, skip a duplicate, record, answer."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from . import easypost, shopify  # noqa: E402,F401  (routes register on bp)
