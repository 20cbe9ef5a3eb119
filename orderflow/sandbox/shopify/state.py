"""All sandbox state, in memory, behind one re-entrant lock.

Callers hold `store.lock` for any read-modify-write sequence (`with store.lock: ...`); the
web server is threaded and the webhook dispatcher runs in its own threads.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal

from .models import AccessToken, AuthCode, Faults, Location, RefreshToken, Shop, Variant
from .util import IdGenerator, utc_now, whole_seconds

# name -> REST-style address (FulfillmentOrderAssignedLocation / Location.address)
LOCATIONS = {
    "Main warehouse": {"address1": "921 SW Washington St", "address2": "Dock 3",
                       "city": "Portland", "province": "Oregon", "province_code": "OR",
                       "country": "United States", "country_code": "US", "zip": "97205",
                       "phone": "+15035550142"},
    "Overflow": {"address1": "250 E Liberty St", "address2": None, "city": "Reno",
                 "province": "Nevada", "province_code": "NV", "country": "United States",
                 "country_code": "US", "zip": "89501", "phone": "+17755550188"},
}
LOCATION_NAMES = tuple(LOCATIONS)
# Shopify's WeightUnit values and grams per unit.
GRAMS_PER_UNIT = {"GRAMS": 1.0, "KILOGRAMS": 1000.0, "OUNCES": 28.349523125,
                  "POUNDS": 453.59237}

# (title, sku, price, grams, requires_shipping, gift_card, tracked)
DEFAULT_CATALOGUE = (
    ("Classic Tee", "TEE-CLASSIC-M", "25.00", 200, True, False, True),
    ("Canvas Tote", "TOTE-CANVAS", "18.00", 350, True, False, True),
    ("Ceramic Mug", "MUG-CERAMIC", "14.50", 450, True, False, True),
    ("Wool Hoodie", "HOODIE-WOOL-L", "65.00", 800, True, False, True),
    ("Shipping Handbook (e-book)", "EBOOK-SHIP101", "9.99", 0, False, False, False),
    ("Gift Card $50", "GIFT-CARD-50", "50.00", 0, False, True, False),
)
DEFAULT_STOCK = {"Main warehouse": 100, "Overflow": 5}


class ThrottleBucket:
    """Shopify's leaky bucket: `maximum` points, refilled at `restore` points per second."""

    def __init__(self, maximum: float, restore: float):
        self.maximum, self.restore = float(maximum), float(restore)
        self._available, self._at = float(maximum), time.monotonic()
        # What the shop's API client did, for tests and benchmarks: THROTTLED answers given,
        # and operations answered (by name).
        self.throttled = 0
        self.operations: Counter[str] = Counter()

    def available(self) -> float:
        now = time.monotonic()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore)
        self._at = now
        return self._available

    def spend(self, points: float) -> None:
        self._available = self.available() - points

    def status(self) -> dict:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available(), 1),
            "restoreRate": self.restore,
        }


class Store:
    def __init__(self, throttle_max: float, throttle_restore: float):
        self.lock = threading.RLock()
        self.ids = IdGenerator()
        self.throttle_max, self.throttle_restore = throttle_max, throttle_restore
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.shops: dict[str, Shop] = {}
            self.buckets: dict[str, ThrottleBucket] = {}
            self.tokens: dict[str, AccessToken] = {}
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.codes: dict[str, AuthCode] = {}
            self.faults = Faults()

    # --- shops and catalogue -------------------------------------------------------------

    def shop(self, domain: str | None) -> Shop | None:
        return self.shops.get((domain or "").lower())

    def create_shop(self, domain: str, name: str | None = None, currency: str = "USD",
                    email: str | None = None) -> Shop:
        """Create a shop with two locations and the default catalogue; idempotent on domain."""
        domain = domain.lower()
        with self.lock:
            if domain in self.shops:
                return self.shops[domain]
            label = name or domain.removesuffix(".myshopify.com").replace("-", " ").title()
            shop = Shop(id=self.ids.small(), domain=domain, name=label,
                        email=email or f"owner@{domain}", currency=currency,
                        created_at=whole_seconds(utc_now()))
            shop.locations = [Location(self.ids.small(), n, dict(a))
                              for n, a in LOCATIONS.items()]
            for title, sku, price, grams, ships, gift, tracked in DEFAULT_CATALOGUE:
                stock = DEFAULT_STOCK if tracked else {}
                self.add_variant(shop, title, sku, price, grams, ships, gift, tracked, stock)
            self.shops[domain] = shop
            self.buckets[domain] = ThrottleBucket(self.throttle_max, self.throttle_restore)
            return shop

    def add_variant(self, shop: Shop, title: str, sku: str, price, grams: int | None = None,
                    requires_shipping: bool = True, gift_card: bool = False,
                    tracked: bool = True, inventory: dict | None = None,
                    weight_unit: str | None = None, weight: float | None = None) -> Variant:
        """`grams`, or `weight` in `weight_unit` (GRAMS, KILOGRAMS, OUNCES, POUNDS); with
        neither the variant has no weight (GraphQL `weight: null`, REST grams 0)."""
        unit = str(weight_unit or "GRAMS").upper()
        if unit not in GRAMS_PER_UNIT:
            raise KeyError(f"weight_unit must be one of {', '.join(GRAMS_PER_UNIT)}")
        if weight is not None:
            value = float(weight)
            grams = int(round(value * GRAMS_PER_UNIT[unit]))
        elif grams is not None:
            value = round(int(grams) / GRAMS_PER_UNIT[unit], 3)
        with self.lock:
            variant = Variant(id=self.ids.big(), product_id=self.ids.big(),
                              inventory_item_id=self.ids.big(), title=title, sku=sku,
                              price=Decimal(str(price)), grams=int(grams or 0),
                              requires_shipping=bool(requires_shipping),
                              gift_card=bool(gift_card), tracked=bool(tracked),
                              weight=None if grams is None else {"unit": unit, "value": value})
            for location_ref, on_hand in (inventory or {}).items():
                variant.inventory[self.location(shop, location_ref).id] = int(on_hand)
            shop.variants[sku] = variant
            return variant

    def location(self, shop: Shop, ref) -> Location:
        """A location by name, numeric id or gid; KeyError when unknown."""
        text = str(ref)
        for loc in shop.locations:
            if text in (loc.name, str(loc.id), f"gid://shopify/Location/{loc.id}"):
                return loc
        raise KeyError(f"unknown location {ref!r}")

    def inventory_item(self, shop: Shop, item_id: int) -> Variant | None:
        for variant in shop.variants.values():
            if variant.inventory_item_id == item_id:
                return variant
        return None

    def bucket(self, domain: str) -> ThrottleBucket:
        with self.lock:
            if domain not in self.buckets:
                self.buckets[domain] = ThrottleBucket(self.throttle_max, self.throttle_restore)
            return self.buckets[domain]

    # --- tokens --------------------------------------------------------------------------

    def valid_token(self, token: str | None, domain: str) -> AccessToken | None:
        record = self.tokens.get(token or "")
        if record is None or record.shop != domain:
            return None
        if record.expires_at is not None and record.expires_at <= time.time():
            return None
        return record

    def revoke_shop(self, domain: str) -> None:
        with self.lock:
            for table in (self.tokens, self.refresh_tokens, self.codes):
                for key in [k for k, v in table.items() if v.shop == domain]:
                    del table[key]
            shop = self.shop(domain)
            if shop:
                shop.scopes = None
                shop.subscriptions.clear()
