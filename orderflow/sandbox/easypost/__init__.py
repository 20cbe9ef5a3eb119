"""Sandbox EasyPost: a faithful local HTTP stand-in for the EasyPost v2 API.

Imports nothing from the rest of orderflow. The unchanged `easypost.EasyPostClient(api_key,
api_base=f"{box.url}/v2")` talks to it over loopback HTTP. See server.SandboxEasyPost for the
Python control API and routes.py for the /sandbox/ control endpoints.
"""

from .rates import CARRIERS, SERVICES, tracker_outcome
from .server import SandboxEasyPost, serve_forever
from .webhooks import signature

__all__ = ["CARRIERS", "SERVICES", "SandboxEasyPost", "serve_forever", "signature",
           "tracker_outcome"]
