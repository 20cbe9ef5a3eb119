"""The customer's tracking page: one shipment at an unguessable URL, nothing else."""

from .views import bp

__all__ = ["bp"]
