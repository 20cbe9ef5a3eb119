"""EasyPost's tracking vocabulary, ours, Shopify's, and carrier names as Shopify spells them."""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import quote


class TrackingStatus(StrEnum):
    """Where a parcel is, in our words. Values are plain strings, safe to store."""

    UNKNOWN = "unknown"
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    RETURNING = "returning"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ERROR = "error"


_FROM_EASYPOST = {
    "unknown": TrackingStatus.UNKNOWN,
    "pre_transit": TrackingStatus.LABEL_CREATED,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "available_for_pickup": TrackingStatus.READY_FOR_PICKUP,
    "delivered": TrackingStatus.DELIVERED,
    "return_to_sender": TrackingStatus.RETURNING,
    "failure": TrackingStatus.FAILED,
    "cancelled": TrackingStatus.CANCELLED,
    "error": TrackingStatus.ERROR,
}

# Shopify FulfillmentEventStatus. Statuses without an entry send no event.
_TO_SHOPIFY = {
    TrackingStatus.LABEL_CREATED: "LABEL_PURCHASED",
    TrackingStatus.IN_TRANSIT: "IN_TRANSIT",
    TrackingStatus.OUT_FOR_DELIVERY: "OUT_FOR_DELIVERY",
    TrackingStatus.READY_FOR_PICKUP: "READY_FOR_PICKUP",
    TrackingStatus.DELIVERED: "DELIVERED",
    TrackingStatus.RETURNING: "FAILURE",
    TrackingStatus.FAILED: "FAILURE",
}

# How far along a parcel is. An update ranked lower than what we hold is stale (webhooks
# arrive out of order); equal ranks are news (a new event at the same stage).
# unknown and error say nothing about progress, so they rank lowest and never overwrite.
_RANK = {
    TrackingStatus.UNKNOWN: 0,
    TrackingStatus.ERROR: 0,
    TrackingStatus.LABEL_CREATED: 1,
    TrackingStatus.IN_TRANSIT: 2,
    TrackingStatus.OUT_FOR_DELIVERY: 3,
    TrackingStatus.READY_FOR_PICKUP: 4,
    TrackingStatus.CANCELLED: 5,
    TrackingStatus.RETURNING: 5,
    TrackingStatus.FAILED: 5,
    TrackingStatus.DELIVERED: 6,
}


def status_from_easypost(status: str | None) -> TrackingStatus:
    """EasyPost adds statuses from time to time: one we do not know is UNKNOWN, not an error."""
    return _FROM_EASYPOST.get((status or "").strip().lower(), TrackingStatus.UNKNOWN)


def shopify_event_status(status: str) -> str | None:
    """Our status → Shopify FulfillmentEventStatus, or None when no event should be sent."""
    return _TO_SHOPIFY.get(_ours(status))


def rank(status: str) -> int:
    return _RANK[_ours(status)]


def moves_forward(current: str | None, new: str) -> bool:
    """Whether `new` may replace `current` (None: nothing recorded yet)."""
    if current is None:
        return True
    return rank(new) >= rank(current) and rank(new) > 0


def _ours(status: str) -> TrackingStatus:
    try:
        return TrackingStatus(status)
    except ValueError:
        return TrackingStatus.UNKNOWN


# Carriers. Keys are EasyPost's carrier names lower-cased without punctuation, so "DHLExpress",
# "DhlExpress" and "DHL Express" meet. Values are Shopify's tracking company names, spelled
# exactly as in its FulfillmentTrackingInfo "supported tracking companies" list.
_SHOPIFY_COMPANY = {
    "usps": "USPS",
    "uspsreturns": "USPS",
    "ups": "UPS",
    "upsdap": "UPS",
    "upssurepost": "UPS",
    "upsmailinnovations": "UPS",
    "fedex": "FedEx",
    "fedexdefault": "FedEx",
    "fedexsmartpost": "FedEx",
    "fedexcrossborder": "FedEx",
    "dhlexpress": "DHL Express",
    "dhlecs": "DHL eCommerce",
    "dhlecommerce": "DHL eCommerce",
    "dhlecommercesolutions": "DHL eCommerce",
    "dhlglobalmail": "DHL eCommerce",
    "dhlecommerceasia": "DHL eCommerce Asia",
    "canadapost": "Canada Post",
    "purolator": "Purolator",
    "canpar": "Canpar",
    "ontrac": "OnTrac",
    "lasership": "Lasership",
    "lso": "Lone Star Overnight",
    "asendiausa": "Asendia USA",
    "australiapost": "Australia Post",
    "royalmail": "Royal Mail",
    "evri": "Evri",
    "dpduk": "DPD UK",
    "dpd": "DPD",
    "sendle": "Sendle",
    "newzealandpost": "New Zealand Post",
    "swisspost": "Swiss Post",
    "postnl": "PostNL",
}

# Public tracking pages; {} is the URL-quoted tracking code.
_TRACKING_URL = {
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "UPS": "https://www.ups.com/track?tracknum={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "DHL Express": "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
    "?submit=1&tracking-id={}",
    "DHL eCommerce": "https://webtrack.dhl.com/?trackingnumber={}",
    "Canada Post": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={}",
    "Purolator": "https://www.purolator.com/en/shipping/tracker?pin={}",
    "OnTrac": "https://www.ontrac.com/tracking/?number={}",
    "Australia Post": "https://auspost.com.au/mypost/track/details/{}",
    "Royal Mail": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
}


def carrier_key(carrier: str) -> str:
    return re.sub(r"[^a-z0-9]", "", carrier.lower())


def shopify_company(carrier: str) -> str | None:
    """Shopify's exact company name for an EasyPost carrier; None: send a URL instead."""
    return _SHOPIFY_COMPANY.get(carrier_key(carrier))


def tracking_url(carrier: str, tracking_code: str, fallback: str | None = None) -> str | None:
    """The carrier's public tracking page, else `fallback` (EasyPost's tracker public_url)."""
    pattern = _TRACKING_URL.get(shopify_company(carrier) or "")
    if pattern is None or not tracking_code:
        return fallback
    return pattern.format(quote(tracking_code, safe=""))
