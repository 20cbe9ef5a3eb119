"""Sandbox Shopify: a faithful local HTTP stand-in for Shopify's Admin API.

Imports nothing from the rest of orderflow. See server.SandboxShopify and control.py for the
/sandbox/ control API.
"""

from .server import SandboxShopify, create_app, serve_forever

__all__ = ["SandboxShopify", "create_app", "serve_forever"]
