"""Telling people, once: Shopify fulfilment events, customer emails, merchant alerts.

A notice row is created (store/notices.py), unique per shipment, channel and kind, in the
transaction that learnt the news; its job tells it. Before telling, the job marks the row
"sending" and commits:
- a Shopify event found "sending" by a retry is looked up in Shopify before it is sent again;
- an email found "sending" is never sent again (it may have gone out: the customer gets each
  email at most once), and stays "unconfirmed" for the merchant to see.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update

from ..db.models import Notice, Order, Shipment, Shop, utcnow
from ..emails.render import (
    Brand,
    CustomerEmail,
    Item,
    MerchantAlert,
    Tracking,
    customer_message,
    merchant_message,
)
from ..emails.send import MailNotSent, MailOutcomeUnknown
from ..emails.unsubscribe import opted_out, unsubscribe_token
from ..fulfilment import tracking as tk
from ..fulfilment.carrier_names import tracking_url
from ..fulfilment.states import notices as notice_states
from ..fulfilment.states.notices import DONE, TOLD_OR_TELLING, NoticeState
from ..fulfilment.states.shipments import ShipmentState
from ..fulfilment.tracking_view import items
from ..integrations.shopify import operations
from ..integrations.shopify.errors import ShopifyUserError
from ..queue.calls import is_last_attempt, job
from ..services import access_token, services
from ..store.notices import settings_for
from ..store.shipments import item_titles, shipment_facts
from .failures import gives_up

MAIL_GIVE_UP = timedelta(days=1)


def _gave_up(notice_id: int, exc: Exception) -> None:
    """A notice that cannot be told is marked failed with the reason."""
    _finish(services(), notice_id, NoticeState.FAILED, f"Gave up: {exc}")


def _finish(svc, notice_id: int, state: NoticeState, error: str | None = None,
            **detail) -> None:
    with svc.db.session() as s, s.begin():
        notice = s.get(Notice, notice_id)
        notice.state, notice.error = _moved(notice, state), error
        if state == NoticeState.SENT:
            notice.sent_at = utcnow()
        if detail:
            notice.detail = {**(notice.detail or {}), **detail}


def _moved(notice: Notice, state: NoticeState) -> str:
    return notice_states.transition(notice.state, state).value


def _age(svc, notice_id: int) -> timedelta:
    with svc.db.session() as s:
        return utcnow() - s.get(Notice, notice_id).created_at


def _start(s, notice_id: int) -> bool:
    """Mark the notice "sending" unless another run did; True when this run may send."""
    result = s.execute(update(Notice)
                       .where(Notice.id == notice_id, Notice.state == NoticeState.PENDING)
                       .values(state=NoticeState.SENDING.value, attempts=Notice.attempts + 1,
                               started_at=utcnow()))
    return result.rowcount == 1


# Shopify fulfilment events


@job
@gives_up(_gave_up)
def push_event(notice_id: int) -> None:
    svc = services()
    with svc.db.session() as s, s.begin():
        notice = s.scalar(select(Notice).where(Notice.id == notice_id).with_for_update())
        if notice is None or notice.state in DONE:
            return
        shipment = s.get(Shipment, notice.shipment_id)
        later = _superseded_by(s, notice)
        if (later or shipment.state != ShipmentState.FULFILLED
                or not shipment.shopify_fulfillment_id):
            notice.state = _moved(notice, NoticeState.SKIPPED)
            notice.error = (f"Shopify was told {later} instead" if later
                            else "the fulfilment is no longer live")
            return
        retrying = notice.state == NoticeState.SENDING
        notice.state = _moved(notice, NoticeState.SENDING)
        notice.attempts, notice.started_at = notice.attempts + 1, utcnow()
        order = s.get(Order, shipment.order_id)
        target = (order.shop_id, order.shopify_id, shipment.shopify_fulfillment_id)
        request = _event_request(shipment.shopify_fulfillment_id, notice.kind, notice.detail or {})
    domain, token = access_token(svc, target[0])
    if retrying and _event_in_shopify(svc, domain, token, target[1], target[2], notice.kind):
        _finish(svc, notice_id, NoticeState.SENT, adopted=True)
        return
    try:
        event_id = operations.create_fulfilment_event(svc.admin, domain, token, request)
    except ShopifyUserError as exc:
        _finish(svc, notice_id, NoticeState.FAILED, str(exc))
        return
    _finish(svc, notice_id, NoticeState.SENT, shopify_event_id=event_id)


def _superseded_by(s, notice: Notice) -> str | None:
    """A later Shopify event of the same shipment, already told or about to be: this one is old
    news (a burst of carrier updates for one parcel sends Shopify only where it is now)."""
    mine = tk.shopify_event_rank(notice.kind)
    for kind in s.scalars(select(Notice.kind).where(
            Notice.shipment_id == notice.shipment_id, Notice.channel == "shopify",
            Notice.id != notice.id, Notice.state.in_(TOLD_OR_TELLING))):
        if tk.shopify_event_rank(kind) > mine:
            return kind
    return None


def _event_request(fulfillment_id: str, status: str, detail: dict) -> dict:
    event = detail.get("event") or {}
    request = {"fulfillmentId": fulfillment_id, "status": status,
               "happenedAt": event.get("at") or utcnow().isoformat(),
               "message": (event.get("message") or "")[:255] or None,
               "city": event.get("city"), "province": event.get("state"),
               "country": event.get("country"), "zip": event.get("zip"),
               "estimatedDeliveryAt": detail.get("estimate")}
    return {k: v for k, v in request.items() if v is not None}


def _event_in_shopify(svc, domain, token, order_shopify_id, fulfillment_id, status) -> bool:
    events = operations.fulfilment_events(svc.admin, domain, token, order_shopify_id)
    return status in events.get(fulfillment_id, ())


# Emails


@job
@gives_up(_gave_up)
def send_email(notice_id: int) -> None:
    svc = services()
    with svc.db.session() as s, s.begin():
        notice = s.scalar(select(Notice).where(Notice.id == notice_id).with_for_update())
        if notice is None or notice.state in DONE:
            return
        if notice.state == NoticeState.SENDING:
            notice.state = _moved(notice, NoticeState.UNCONFIRMED)
            notice.error = ("An earlier attempt stopped while sending; not sent again, so the "
                            "recipient gets it at most once")
            return
    message, reason = _compose(svc, notice_id)
    with svc.db.session() as s, s.begin():
        if message is None:
            notice = s.get(Notice, notice_id)
            notice.state, notice.error = _moved(notice, NoticeState.SKIPPED), reason
            return
        if not _start(s, notice_id):
            return
    _deliver(svc, notice_id, message)


def _deliver(svc, notice_id: int, message) -> None:
    try:
        svc.mailer.send(message)
    except MailNotSent as exc:
        # Certainly not sent: pending again. After the job's own retries the clock picks it up
        # again each pass, until the mail server takes it or the news is a day old.
        stale = _age(svc, notice_id) > MAIL_GIVE_UP
        _finish(svc, notice_id, NoticeState.FAILED if stale else NoticeState.PENDING,
                f"{'Not sent' if stale else 'Not sent yet'}: {exc}")
        if not (stale or is_last_attempt()):
            raise
        return
    except MailOutcomeUnknown as exc:
        _finish(svc, notice_id, NoticeState.UNCONFIRMED,
                f"The mail server did not confirm it: {exc}")
        return
    _finish(svc, notice_id, NoticeState.SENT)


def _compose(svc, notice_id: int):
    """(message, None), or (None, why it is not sent)."""
    with svc.db.session() as s:
        notice = s.get(Notice, notice_id)
        shipment = s.get(Shipment, notice.shipment_id)
        order = s.get(Order, shipment.order_id)
        shop = s.get(Shop, order.shop_id)
        settings = settings_for(s, order)
        brand = Brand(shop_name=shop.name or shop.domain.split(".")[0],
                      logo_url=settings.emails.logo_url, colour=settings.emails.colour,
                      reply_to=settings.emails.reply_to)
        message_id = f"<notice-{notice.id}.{shop.id}@{_mail_host(svc)}>"
        sender = svc.settings.MAIL_FROM
        if notice.channel == "merchant":
            to = settings.emails.alert_email
            alert = MerchantAlert(order_name=order.name, kind=notice.kind,
                                  message=(notice.detail or {}).get("message", ""),
                                  tracking_numbers=_numbers(shipment))
            shop_id = shop.id
        else:
            if notice.kind not in settings.emails.customer:
                return None, f"the shop has turned {notice.kind} emails off"
            if opted_out(s, shop.id, notice.recipient):
                return None, "the customer unsubscribed"
            if tk.email_superseded(notice.kind, shipment.tracking_status):
                now = tk.headline(shipment.tracking_status).lower()
                return None, f"old news: the parcel is {now} now"
            email = _customer_email(svc, notice, shipment, order)
            token = unsubscribe_token(svc.settings.SECRET_KEY, shop.id, notice.recipient)
            link = f"{_app_url(svc)}/email/unsubscribe/{token}"
            return customer_message(email, brand, notice.recipient, sender, link, message_id,
                                    wording=settings.emails.wording(notice.kind)), None
    to = to or _shop_email(svc, shop_id)
    if not to:
        return None, "no alert email is set and Shopify gave no shop email"
    return merchant_message(alert, brand, to, sender, message_id), None


def _customer_email(svc, notice: Notice, shipment: Shipment, order: Order) -> CustomerEmail:
    detail = notice.detail or {}
    live = tuple(p for p in shipment_facts(shipment).parcels if not p.voided)
    proof = shipment.delivery_proof or {}
    estimate = detail.get("estimate")
    return CustomerEmail(
        kind=notice.kind, order_name=order.name, customer_name=_first_name(order),
        items=tuple(Item(title, n) for title, n in items(live, item_titles(order))),
        tracking=tuple(Tracking(shipment.carrier, shipment.service, code,
                                tracking_url(shipment.carrier or "", code))
                       for code in _numbers(shipment)),
        estimated_delivery=(_date(estimate) if estimate else shipment.estimated_delivery),
        tracking_page_url=f"{_app_url(svc)}/t/{shipment.tracking_token}",
        problem=(tk.news(detail.get("status") or "", detail.get("event"))
                 if notice.kind == "problem" else None),
        delivered_at=shipment.delivered_at, delivered_where=proof.get("where"),
        signed_by=proof.get("signed_by"),
    )


def _numbers(shipment: Shipment) -> tuple[str, ...]:
    return tuple(p.tracking_code for p in shipment.parcels
                 if p.voided_at is None and p.tracking_code)


def _first_name(order: Order) -> str | None:
    if order.customer is not None and order.customer.first_name:
        return order.customer.first_name
    address = order.shipping_address or {}
    name = address.get("name") or ""
    return name.split()[0] if name.strip() else None


def _date(iso: str):
    return datetime.fromisoformat(iso).date()


def _app_url(svc) -> str:
    return svc.settings.APP_URL.rstrip("/")


def _mail_host(svc) -> str:
    return urlsplit(svc.settings.APP_URL).hostname or "orderflow.localhost"


def _shop_email(svc, shop_id: int) -> str | None:
    domain, token = access_token(svc, shop_id)
    return operations.shop_info(svc.admin, domain, token).email
