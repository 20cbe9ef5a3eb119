"""The schema, in one place. Models import nothing of ours; only handlers and jobs commit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only auto-increments a plain INTEGER primary key.
BigId = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str) -> datetime:
    """An ISO-8601 time from Shopify, always aware."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class AwareDateTime(TypeDecorator):
    """Timezone-aware datetimes in and out: SQLite hands them back naive, and they are UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: AwareDateTime(), dict: JSON, Decimal: Numeric(18, 4)}


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    # Encrypted at rest (see orderflow.secrets); None once the app is uninstalled.
    access_token: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[datetime | None]
    refresh_token: Mapped[str | None] = mapped_column(Text)
    refresh_token_expires_at: Mapped[datetime | None]
    scopes: Mapped[str | None] = mapped_column(Text)
    installed_at: Mapped[datetime | None]
    uninstalled_at: Mapped[datetime | None]
    # The reconciler has read every order Shopify updated before this moment.
    reconciled_through: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def installed(self) -> bool:
        return self.access_token is not None


class WebhookDelivery(Base):
    """One webhook as received: the outbox row that the dispatcher turns into a job."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("shop_id", "webhook_id", name="uq_delivery_shop_webhook"),
        # Only unfinished rows are looked up by status: a small index, cheap to keep on insert.
        Index("ix_delivery_unfinished", "status", "id",
              postgresql_where=text("status IN ('pending', 'queued')"),
              sqlite_where=text("status IN ('pending', 'queued')")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    webhook_id: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(64))
    api_version: Mapped[str | None] = mapped_column(String(16))
    triggered_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The order (or customer) the payload is about, so a redact can find unprocessed bodies.
    resource_id: Mapped[int | None] = mapped_column(BigInteger)
    # The raw body; cleared once processed, so personal data does not linger here.
    payload: Mapped[str | None] = mapped_column(Text)
    # DeliveryStatus (fulfilment/delivery_states.py): pending -> queued -> done | failed | skipped
    status: Mapped[str] = mapped_column(String(16), default="pending")
    queued_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id", name="uq_customer_shop_shopify"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    shopify_id: Mapped[int] = mapped_column(BigInteger)
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    redacted_at: Mapped[datetime | None]


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id", name="uq_order_shop_shopify"),
        Index("ix_order_shop_state_id", "shop_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    shopify_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    currency: Mapped[str] = mapped_column(String(3))
    total_price: Mapped[Decimal]
    financial_status: Mapped[str | None] = mapped_column(String(32))
    fulfillment_status: Mapped[str | None] = mapped_column(String(32))
    # OrderState (fulfilment/order_states.py)
    state: Mapped[str] = mapped_column(String(32), default="received")
    hold_reason: Mapped[str | None] = mapped_column(Text)
    shopify_created_at: Mapped[datetime]
    shopify_updated_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    shipping_address: Mapped[dict | None]
    billing_address: Mapped[dict | None]
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(Text)
    redacted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    line_items: Mapped[list[LineItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="LineItem.id"
    )
    customer: Mapped[Customer | None] = relationship()


class LineItem(Base):
    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    shopify_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text)
    sku: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal]
    requires_shipping: Mapped[bool] = mapped_column(Boolean)
    gift_card: Mapped[bool] = mapped_column(Boolean)
    variant_id: Mapped[int | None] = mapped_column(BigInteger)
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    grams: Mapped[int | None] = mapped_column(Integer)
    fulfillable_quantity: Mapped[int | None] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="line_items")


class OrderEvent(Base):
    """One step of an order's timeline: what happened, why, and from which input."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_event_order_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48))
    message: Mapped[str] = mapped_column(Text)
    # e.g. "webhook orders/create 6b0c…", "reconciler", "api"
    source: Mapped[str] = mapped_column(String(160))
    delivery_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DataRequest(Base):
    """A customers/data_request: the export of what we hold on that customer, for the merchant."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    shopify_request_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_shopify_id: Mapped[int | None] = mapped_column(BigInteger)
    export: Mapped[dict]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShopSettings(Base):
    """A shop's shipping settings (origin, boxes, policy, label format, rules) as one document.

    `orderflow.fulfilment.shop_settings` reads it into typed settings with defaults for what is
    absent.
    """

    __tablename__ = "shop_settings"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Shipment(Base):
    """What one Shopify fulfilment will carry.

    The lines of one fulfilment order, in one or more parcels.
    """

    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipment_shop_state", "shop_id", "state", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    fulfillment_order_id: Mapped[str] = mapped_column(String(80))
    # [{"id": <fulfilment order line gid>, "quantity": n}] — exactly what the fulfilment will carry
    lines: Mapped[dict] = mapped_column(JSON)
    # ShipmentState (fulfilment/shipment_states.py): planned -> rated -> bought -> fulfilled,
    # or voided | exception
    state: Mapped[str] = mapped_column(String(16), default="planned")
    carrier: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(64))
    cost: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    # Why this rate, and every alternative with why not: what the merchant sees.
    selection: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    shopify_fulfillment_id: Mapped[str | None] = mapped_column(String(80))
    fulfilled_at: Mapped[datetime | None]
    # The carrier's promise when we bought, and when it really arrived: the reliability score
    estimated_delivery: Mapped[date | None] = mapped_column(Date)
    delivered_at: Mapped[datetime | None]
    # Where the parcels are, as a whole: the least advanced parcel, or a problem if any has one.
    tracking_status: Mapped[str | None] = mapped_column(String(24))
    # The customer's tracking page is /t/<tracking_token>: unguessable, and nothing else.
    tracking_token: Mapped[str | None] = mapped_column(String(43), unique=True, index=True)
    # When, where, who signed, and the carrier's words, per parcel: the proof of delivery.
    delivery_proof: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parcels: Mapped[list[ParcelRow]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ParcelRow.position"
    )


class ParcelRow(Base):
    """One box, one carrier shipment, at most one live label."""

    __tablename__ = "parcels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    box: Mapped[str | None] = mapped_column(String(120))
    length_in: Mapped[Decimal]
    width_in: Mapped[Decimal]
    height_in: Mapped[Decimal]
    weight_oz: Mapped[Decimal]
    contents: Mapped[dict] = mapped_column(JSON)
    # Persisted before any purchase: a retry looks this shipment up and adopts existing postage.
    carrier_shipment_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    rates: Mapped[dict | None] = mapped_column(JSON)
    rate_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None]
    insurance: Mapped[Decimal | None]  # the value insured, when the shop's rule asks for it
    tracking_code: Mapped[str | None] = mapped_column(String(64), index=True)
    label_url: Mapped[str | None] = mapped_column(Text)
    label_format: Mapped[str | None] = mapped_column(String(8))
    label_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The purchase lease: set (and committed) before the carrier is asked to buy; a run that
    # finds it set by a run that died looks the carrier shipment up before buying.
    buy_started_at: Mapped[datetime | None]
    bought_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    refund_status: Mapped[str | None] = mapped_column(String(16))
    # Voided labels of this parcel: [{"carrier_shipment_id", "tracking_code", "refund_status"}]
    voided_labels: Mapped[dict | None] = mapped_column(JSON)
    tracker_id: Mapped[str | None] = mapped_column(String(64), index=True)
    tracking_status: Mapped[str | None] = mapped_column(String(24))
    # The carrier's whole history, oldest first: [{"status", "message", "at", "city", ...}]
    tracking_events: Mapped[dict | None] = mapped_column(JSON)
    # The carrier's own time of the tracker version we hold: an older version never wins.
    tracking_updated_at: Mapped[datetime | None]
    # The newest estimate of arrival the carrier gave
    tracking_estimate: Mapped[datetime | None]
    # When we last heard from the carrier about it (webhook or poll): when to poll next.
    tracking_checked_at: Mapped[datetime | None]
    # When its status last changed: "no movement for N days" is measured from here.
    tracking_moved_at: Mapped[datetime | None]
    signed_by: Mapped[str | None] = mapped_column(String(255))

    shipment: Mapped[Shipment] = relationship(back_populates="parcels")


class Notice(Base):
    """Something told once per shipment and kind: a customer email, a Shopify fulfilment event,
    a merchant alert email. The row is claimed (committed) before the telling, so a retry that
    finds it claimed never tells twice."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("shipment_id", "channel", "kind", name="uq_notice_once"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # email | shopify | merchant
    kind: Mapped[str] = mapped_column(String(32))  # shipped, out_for_delivery, IN_TRANSIT, ...
    # NoticeState (fulfilment/notice_states.py): pending -> sending -> sent | skipped | failed |
    # unconfirmed; "sending" that never finished stays visible
    state: Mapped[str] = mapped_column(String(16), default="pending")
    recipient: Mapped[str | None] = mapped_column(String(320))
    detail: Mapped[dict | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]  # the last "sending": a run older than a lease died
    sent_at: Mapped[datetime | None]


class Alert(Base):
    """A delivery problem a person must look at: failure, return to sender, no movement."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("shipment_id", "kind", name="uq_alert_shipment_kind"),
        Index("ix_alert_shop_open", "shop_id", "resolved_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # failed, returning, stalled, cancelled
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class EmailOptOut(Base):
    """A customer who unsubscribed from one shop's tracking emails."""

    __tablename__ = "email_optouts"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-cased
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Batch(Base):
    """Labels bought for many orders in one job, with its progress for the admin's page."""

    __tablename__ = "batches"
    __table_args__ = (Index("ix_batch_shop_id", "shop_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    # BatchState (fulfilment/batch_states.py): queued -> running -> done (each order's outcome
    # in `results`)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    order_ids: Mapped[dict] = mapped_column(JSON)  # [order id, ...] in the merchant's order
    # {"<order id>": {"state": BatchOutcome ("buying", then "bought" | "failed" | "skipped"),
    #                 "message": "..."}}
    results: Mapped[dict] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
