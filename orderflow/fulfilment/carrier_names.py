"""Carriers as Shopify names them, and their public tracking pages.

Keys are carrier names lower-cased without punctuation (`carrier_key`), so EasyPost's
"DHLExpress", "DhlExpress" and "DHL Express" meet. Values are Shopify's tracking company names,
spelled exactly as in its FulfillmentTrackingInfo "supported tracking companies" list.
"""

from __future__ import annotations

import re
from urllib.parse import quote

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
    """Shopify's exact company name for a carrier; None: send a URL instead."""
    return _SHOPIFY_COMPANY.get(carrier_key(carrier))


def tracking_url(carrier: str, tracking_code: str, fallback: str | None = None) -> str | None:
    """The carrier's public tracking page, else `fallback` (EasyPost's tracker public_url)."""
    pattern = _TRACKING_URL.get(shopify_company(carrier) or "")
    if pattern is None or not tracking_code:
        return fallback
    return pattern.format(quote(tracking_code, safe=""))
