"""Recording the notices a shipment's news calls for, in the transaction that learnt the news.

What is called for is fulfilment/notices.py's to say; here each is added once (a notice is unique
per shipment, channel and kind) and a merchant's alert once per kind. The jobs of
jobs/notices.py tell them after the commit.
"""

from __future__ import annotations

from sqlalchemy import select

from ..db.models import Alert, Notice, Order, Shipment, ShopSettings
from ..fulfilment import tracking as tk
from ..fulfilment.notices import alert_for, notices_for
from ..fulfilment.shop_settings import read_settings
from ..fulfilment.states.shipments import ShipmentState
from .orders import record


def settings_for(session, order: Order):
    """The shop's shipping settings, in the order's currency."""
    row = session.get(ShopSettings, order.shop_id)
    return read_settings(row.data if row else None, order.currency)


def plan(s, shipment: Shipment, order: Order, shipped: bool = False) -> list[Notice]:
    """The notices the shipment's status calls for that do not exist yet, added to the session."""
    status = shipment.tracking_status
    events = _events(shipment)
    have = {(n.channel, n.kind)
            for n in s.scalars(select(Notice).where(Notice.shipment_id == shipment.id))}
    live = shipment.shopify_fulfillment_id is not None and shipment.state == ShipmentState.FULFILLED
    wanted = notices_for(status, events, live=live, email=order.email, shipped=shipped,
                         email_kinds=lambda: settings_for(s, order).emails.customer)
    detail = _detail(shipment, events)
    made = [Notice(shop_id=shipment.shop_id, shipment_id=shipment.id, channel=w.channel,
                   kind=w.kind, recipient=w.recipient, detail=detail)
            for w in wanted if (w.channel, w.kind) not in have]
    s.add_all(made)
    alert = alert_for(status)
    if alert:
        made += raise_alert(s, shipment, order, alert, tk.news(status, tk.latest(events)))
    return made


def _events(shipment: Shipment) -> list[dict]:
    return tk.merge_events([e for p in shipment.parcels if p.voided_at is None
                            for e in p.tracking_events or []], ())


def _detail(shipment: Shipment, events: list[dict]) -> dict:
    """What the news was when it was learnt: later news must not change what this notice says."""
    estimate = max((p.tracking_estimate for p in shipment.parcels if p.tracking_estimate),
                   default=None)
    return {"status": shipment.tracking_status, "event": tk.latest(events),
            "estimate": estimate.isoformat() if estimate else None}


def raise_alert(s, shipment: Shipment, order: Order, kind: str, message: str) -> list[Notice]:
    """A delivery problem for the merchant: shown in the API and emailed, once per kind."""
    if s.scalar(select(Alert.id).where(Alert.shipment_id == shipment.id, Alert.kind == kind)):
        return []
    s.add(Alert(shop_id=shipment.shop_id, order_id=order.id, shipment_id=shipment.id, kind=kind,
                message=message))
    record(s, order, "delivery_alert", message, "tracking")
    notice = Notice(shop_id=shipment.shop_id, shipment_id=shipment.id, channel="merchant",
                    kind=kind, detail={"message": message})
    s.add(notice)
    return [notice]
