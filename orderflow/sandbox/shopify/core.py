"""The sandbox's wiring: configuration, the store, the webhook dispatcher and event emission."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Order, Shop
from .payloads import customer_payload, order_document, shop_document, shop_redact_payload
from .state import Store
from .webhooks import Delivery, Dispatcher, new_event

APP_LEVEL_TOPICS = ("app/uninstalled", "customers/data_request", "customers/redact",
                    "shop/redact")
DEFAULT_SCOPES = ("read_orders,write_orders,read_merchant_managed_fulfillment_orders,"
                  "write_merchant_managed_fulfillment_orders,read_inventory,read_locations,"
                  "read_products,read_customers")


def topic_enum(topic: str) -> str:
    """orders/create -> ORDERS_CREATE."""
    return topic.replace("/", "_").upper()


@dataclass
class SandboxConfig:
    client_id: str
    client_secret: str
    app_webhooks_uri: str | None = None
    app_url: str | None = None
    api_versions: tuple[str, ...] = ("2026-10", "2026-07")
    time_scale: float = 1.0
    throttle_max: float = 2000.0
    throttle_restore: float = 100.0
    token_ttl: int = 3600
    refresh_token_ttl: int = 7776000
    webhook_timeout: float = 5.0
    scopes: str = DEFAULT_SCOPES
    max_query_cost: int = 1000


class SandboxCore:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self.store = Store(config.throttle_max, config.throttle_restore)
        self.dispatcher = Dispatcher(
            config.client_secret, config.webhook_timeout, config.time_scale,
            faults=lambda: self.store.faults, faults_lock=self.store.lock,
            on_give_up=self._give_up)

    def reset(self) -> None:
        self.dispatcher.clear()
        self.store.reset()

    # --- emission ----------------------------------------------------------------------------

    def emit(self, shop: Shop, topic: str, payload: dict) -> list[Delivery]:
        """Send one event to every subscription for it: app-level and/or shop-specific."""
        targets = []
        if topic in APP_LEVEL_TOPICS and self.config.app_webhooks_uri:
            targets.append((self.config.app_webhooks_uri, None, self.config.api_versions[0]))
        with self.store.lock:
            for sub in shop.subscriptions.values():
                if sub.topic == topic_enum(topic):
                    targets.append((sub.uri, sub.id, sub.api_version))
        deliveries = new_event(topic, shop.domain, payload, targets) if targets else []
        self.dispatcher.submit(deliveries)
        return deliveries

    def emit_order(self, shop: Shop, order: Order, *topics: str) -> None:
        for topic in topics:
            with self.store.lock:
                payload = order_document(shop, order)
            self.emit(shop, topic, payload)

    def uninstall(self, shop: Shop) -> None:
        """Send app/uninstalled (to the subscriptions of the moment), then revoke everything."""
        with self.store.lock:
            payload = shop_document(shop)
            deliveries = self.emit(shop, "app/uninstalled", payload)
            for delivery in deliveries:
                delivery.subscription_id = None  # the subscription is about to go
            self.store.revoke_shop(shop.domain)

    def compliance(self, shop: Shop, kind: str, customer_id: int | None) -> dict:
        with self.store.lock:
            if kind == "shop-redact":
                payload, topic = shop_redact_payload(shop), "shop/redact"
            else:
                customer = next((c for c in shop.customers.values() if c.id == customer_id),
                                None) if customer_id else next(iter(shop.customers.values()),
                                                               None)
                if customer is None:
                    raise KeyError("unknown customer")
                order_ids = [o.id for o in shop.orders.values() if o.customer is customer]
                request_id = self.store.ids.small() if kind == "customers-data_request" else None
                payload = customer_payload(shop, customer, order_ids, request_id)
                topic = "customers/redact" if request_id is None else "customers/data_request"
        self.emit(shop, topic, payload)
        return {"topic": topic, "payload": payload}

    def _give_up(self, delivery: Delivery) -> None:
        """After the last retry Shopify deletes the shop-specific subscription."""
        if delivery.subscription_id is None:
            return
        with self.store.lock:
            shop = self.store.shop(delivery.shop)
            if shop:
                shop.subscriptions.pop(delivery.subscription_id, None)
