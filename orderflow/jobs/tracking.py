"""Step 6 of the walk: where each parcel is, told to Shopify, the customer and the merchant once."""

from __future__ import annotations

from ..queue import job


@job(queue="tracking", timeout=120)
def start_tracking(shipment_id: int) -> None:
    """After the fulfilment reached Shopify: the parcels' trackers, and the "shipped" email."""
