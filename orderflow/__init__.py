"""Orderflow: a Shopify app that runs orders from the storefront to the customer's door."""

from .app import create_app

__all__ = ["create_app"]
