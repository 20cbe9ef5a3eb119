"""The topics the outbox carries, and the step that handles a recorded delivery of each.

webhooks/ records deliveries of these topics; `process_delivery` runs the step named here for
each (registry.STEPS says where it lives), so neither the web side nor the delivery job imports
the modules that handle them.
"""

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled")
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
TOPICS = ORDER_TOPICS + ("app/uninstalled",) + COMPLIANCE_TOPICS
# The carrier's tracker events, recorded by webhooks/easypost.py in the same outbox.
CARRIER_TOPICS = ("tracker.created", "tracker.updated")

HANDLERS = {topic: "apply_order_webhook" for topic in ORDER_TOPICS} | {
    "app/uninstalled": "uninstall",
    "customers/data_request": "data_request",
    "customers/redact": "redact_customer",
    "shop/redact": "redact_shop",
} | {topic: "apply_tracker_webhook" for topic in CARRIER_TOPICS}
