"""Uninstall and the mandatory privacy webhooks: each runs once, in one transaction."""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update

from ..db.models import (
    Customer,
    DataRequest,
    LineItem,
    Order,
    OrderEvent,
    Shop,
    WebhookDelivery,
    utcnow,
)
from ..fulfilment.states.deliveries import UNFINISHED, DeliveryStatus
from ..store.deliveries import claim, finish
from ..store.orders import record

_KEEP_FOR_ACCOUNTING = ("country_code", "province_code", "country", "province")


def uninstall(svc, delivery: WebhookDelivery, payload: dict) -> None:
    """Forget the token and stop this shop's work; its data stays until shop/redact."""
    with svc.db.session() as s, s.begin():
        row = claim(s, delivery.id)
        if row is None:
            return
        shop = s.get(Shop, row.shop_id)
        shop.access_token = shop.refresh_token = None
        shop.access_token_expires_at = shop.refresh_token_expires_at = None
        shop.uninstalled_at = utcnow()
        s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.shop_id == shop.id, WebhookDelivery.id != row.id,
                   WebhookDelivery.status.in_(UNFINISHED),
                   WebhookDelivery.topic.like("orders/%"))
            .values(status=DeliveryStatus.SKIPPED.value, error="the shop uninstalled the app",
                    payload=None)
        )
        finish(row)


def redact_shop(svc, delivery: WebhookDelivery, payload: dict) -> None:
    """Erase everything we hold on the shop, this delivery included."""
    with svc.db.session() as s, s.begin():
        if claim(s, delivery.id) is None:
            return
        shop_id = delivery.shop_id
        order_ids = select(Order.id).where(Order.shop_id == shop_id)
        s.execute(delete(LineItem).where(LineItem.order_id.in_(order_ids)))
        for model in (OrderEvent, Order, Customer, DataRequest, WebhookDelivery):
            s.execute(delete(model).where(model.shop_id == shop_id))
        s.execute(delete(Shop).where(Shop.id == shop_id))


def _customer_orders(s, shop_id: int, customer: Customer | None, order_ids: list[int]):
    conditions = [Order.shopify_id.in_(order_ids)] if order_ids else []
    if customer is not None:
        conditions.append(Order.customer_id == customer.id)
    if not conditions:
        return []
    return s.scalars(select(Order).where(Order.shop_id == shop_id, or_(*conditions))).all()


def _int_ids(values) -> list[int]:
    return [v for v in values or [] if isinstance(v, int) and not isinstance(v, bool)]


def _customer_id(payload: dict) -> int | None:
    value = (payload.get("customer") or {}).get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _subject(s, row: WebhookDelivery, payload: dict, orders_key: str):
    """The customer a privacy request names, and every order of theirs we hold."""
    customer = s.scalar(select(Customer).where(
        Customer.shop_id == row.shop_id, Customer.shopify_id == _customer_id(payload)))
    return customer, _customer_orders(s, row.shop_id, customer, _int_ids(payload.get(orders_key)))


def redact_customer(svc, delivery: WebhookDelivery, payload: dict) -> None:
    """Remove the customer's personal data; their orders stay, anonymised, for the accounts."""
    customer_id = _customer_id(payload)
    with svc.db.session() as s, s.begin():
        row = claim(s, delivery.id)
        if row is None:
            return
        customer, orders = _subject(s, row, payload, "orders_to_redact")
        for order in orders:
            _anonymise(order)
            record(s, order, "redacted", "Customer's personal data erased at their request",
                   f"webhook customers/redact {row.webhook_id}", row.id)
        _forget_bodies(s, row, [o.shopify_id for o in orders])
        s.execute(delete(DataRequest).where(DataRequest.shop_id == row.shop_id,
                                            DataRequest.customer_shopify_id == customer_id))
        if customer is not None:
            s.delete(customer)
        finish(row)


def _anonymise(order: Order) -> None:
    order.email = order.note = None
    order.customer_id = None
    for field in ("shipping_address", "billing_address"):
        address = getattr(order, field)
        if address:
            setattr(order, field, {k: v for k, v in address.items() if k in _KEEP_FOR_ACCOUNTING})
    order.redacted_at = utcnow()


def _forget_bodies(s, row: WebhookDelivery, order_ids: list[int]) -> None:
    """Unprocessed webhooks about these orders would bring the data back: drop their bodies.

    Processed deliveries keep no body (`claims.finish`), so only unfinished ones are looked at.
    """
    if not order_ids:
        return
    s.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.status.in_(UNFINISHED),
               WebhookDelivery.shop_id == row.shop_id, WebhookDelivery.id != row.id,
               WebhookDelivery.resource_id.in_(order_ids))
        .values(payload=None, status=DeliveryStatus.SKIPPED.value, error="customer data redacted")
        .execution_options(synchronize_session=False)
    )


def data_request(svc, delivery: WebhookDelivery, payload: dict) -> None:
    """Gather what we hold on the customer into an export the merchant downloads from /api."""
    customer_id = _customer_id(payload)
    request_id = (payload.get("data_request") or {}).get("id")
    with svc.db.session() as s, s.begin():
        row = claim(s, delivery.id)
        if row is None:
            return
        customer, orders = _subject(s, row, payload, "orders_requested")
        s.add(DataRequest(
            shop_id=row.shop_id, customer_shopify_id=customer_id,
            shopify_request_id=request_id if isinstance(request_id, int) else None,
            export=export(customer, orders),
        ))
        finish(row)


def export(customer: Customer | None, orders) -> dict:
    person = None
    if customer is not None:
        person = {"shopify_id": str(customer.shopify_id), "email": customer.email,
                  "first_name": customer.first_name, "last_name": customer.last_name,
                  "phone": customer.phone}
    return {
        "customer": person,
        "orders": [
            {"shopify_id": str(o.shopify_id), "name": o.name, "email": o.email,
             "placed_at": o.shopify_created_at.isoformat(), "state": o.state,
             "shipping_address": o.shipping_address, "billing_address": o.billing_address,
             "note": o.note,
             "line_items": [{"title": li.title, "sku": li.sku, "quantity": li.quantity,
                             "price": str(li.price)} for li in o.line_items]}
            for o in orders
        ],
    }
