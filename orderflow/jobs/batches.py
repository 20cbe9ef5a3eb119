"""Labels for many orders in one job, with its progress committed after each order.

The job goes through the batch's orders in the merchant's order: rates on demand what is not yet
rated (`plan_shipment`), buys each parcel through `buy_label` (exactly one label per parcel,
however often it runs; both run inside this job, by name), records the order's outcome and moves
the progress on. A run after a killed one, or beside another, skips the orders already recorded.
The merchant starts a batch, and its page resumes a lost one, through actions/batches.py.
"""

from __future__ import annotations

import logging
import time

from rq.timeouts import JobTimeoutException
from sqlalchemy import select

from ..db.models import Batch, Order, ParcelRow, Shipment, utcnow
from ..fulfilment.states import batches as batch_states
from ..fulfilment.states.batches import BatchOutcome, BatchState, is_final_outcome, mark
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import LABELLED, ShipmentState
from ..integrations.shopify.fulfilment_orders import NotReadyYet
from ..queue.calls import job, run
from ..services import services
from ..store.orders import SHIPPED_STATES, record
from ..store.shipments import live_shipments
from .failures import gives_up

log = logging.getLogger(__name__)

BOUGHT = (OrderState.LABEL_BOUGHT.value, *SHIPPED_STATES)
BUYING = BatchOutcome.BUYING  # an order's mark in `results` while the batch buys its label


def _abandon(batch_id: int, exc: Exception) -> None:
    """The job failed for good: the orders it did not reach say so, and the batch ends."""
    svc = services()
    with svc.db.session() as s:
        batch = s.get(Batch, batch_id)
        left = [i for i in batch.order_ids if not _outcome_of(batch, i)]
    for order_id in left:
        _record(svc, batch_id, order_id, BatchOutcome.FAILED,
                f"The batch stopped before this order ({exc}); select it again in a new batch.")
    _finish(svc, batch_id)


@job
@gives_up(_abandon, reraise=True)
def buy_batch(batch_id: int) -> None:
    svc = services()
    todo = _begin(svc, batch_id)
    if todo is None:
        return
    shop_id, order_ids = todo
    for order_id in order_ids:
        _record(svc, batch_id, order_id, *_ship_safely(svc, batch_id, shop_id, order_id))
    _finish(svc, batch_id)


def _begin(svc, batch_id: int) -> tuple[int, list[int]] | None:
    """Mark the batch running; (shop, the orders without an outcome yet), or None when done."""
    with svc.db.session() as s, s.begin():
        batch = s.get(Batch, batch_id)
        if batch is None or batch.state == BatchState.DONE:
            return None
        batch.state = batch_states.transition(batch.state, BatchState.RUNNING).value
        return batch.shop_id, [i for i in batch.order_ids if not _outcome_of(batch, i)]


def _outcome_of(batch: Batch, order_id: int) -> str | None:
    """The order's final state in the batch; None while it has none ("buying" is not final)."""
    state = (batch.results.get(str(order_id)) or {}).get("state")
    return state if is_final_outcome(state) else None


def _record(svc, batch_id: int, order_id: int, state: BatchOutcome, message: str) -> None:
    with svc.db.session() as s, s.begin():
        batch = s.scalar(select(Batch).where(Batch.id == batch_id).with_for_update())
        if _outcome_of(batch, order_id):
            return  # a run beside this one recorded it first
        marked = mark((batch.results.get(str(order_id)) or {}).get("state"), state).value
        batch.results = {**batch.results, str(order_id): {"state": marked, "message": message}}
        if state == BUYING:
            return
        batch.finished += 1
        batch.failed += state == BatchOutcome.FAILED
        order = s.get(Order, order_id)
        if state == BatchOutcome.FAILED and order is not None and order.shop_id == batch.shop_id:
            record(s, order, "batch_failed", f"Batch #{batch_id}: {message}", f"batch {batch_id}")


def _finish(svc, batch_id: int) -> None:
    with svc.db.session() as s, s.begin():
        batch = s.scalar(select(Batch).where(Batch.id == batch_id).with_for_update())
        if batch.state != BatchState.DONE:
            batch.state = batch_states.transition(batch.state, BatchState.DONE).value
            batch.finished_at = utcnow()


def _ship_safely(svc, batch_id: int, shop_id: int,
                 order_id: int) -> tuple[BatchOutcome, str]:
    """One order's outcome; its failure is recorded, and the batch goes on to the next order."""
    try:
        return _ship(svc, batch_id, shop_id, order_id)
    except JobTimeoutException:
        raise  # RQ's own stop: the next run resumes at this order
    except NotReadyYet:
        return BatchOutcome.FAILED, ("Shopify has not opened this order for fulfilment yet; "
                          "try it again in a minute.")
    except Exception as exc:
        log.exception("batch %s: order %s failed", batch_id, order_id)
        return BatchOutcome.FAILED, f"Could not buy the label: {exc}"


def _ship(svc, batch_id: int, shop_id: int, order_id: int) -> tuple[BatchOutcome, str]:
    """Rate and buy one order. Its "buying" mark is committed first, so a run after one killed
    mid-purchase knows the label it then finds bought is this batch's own."""
    with svc.db.session() as s:
        batch = s.get(Batch, batch_id)
        ours = (batch.results.get(str(order_id)) or {}).get("state") == BUYING
        reason = skip_reason(s.get(Order, order_id), shop_id, ours)
        rated = _unbought_parcels(s, order_id)
    if reason:
        return BatchOutcome.SKIPPED, reason
    _record(svc, batch_id, order_id, BUYING, "Buying its label…")
    if not rated:
        run("plan_shipment", order_id, True)
        with svc.db.session() as s:
            rated = _unbought_parcels(s, order_id)
    for parcel_id in rated:
        _buy(svc, parcel_id)
    with svc.db.session() as s:
        return _outcome(s, s.get(Order, order_id))


def skip_reason(order: Order | None, shop_id: int, ours: bool = False) -> str | None:
    """Why a batch does not buy for this order, in words the merchant can act on; `ours`: this
    batch was buying it (a label found bought is then its own)."""
    if order is None or order.shop_id != shop_id:
        return "This order is not in this shop (or no longer exists)."
    if order.state == OrderState.CANCELLED.value or order.cancelled_at is not None:
        return "Cancelled: there is nothing to ship."
    if order.state in BOUGHT:
        return None if ours else ("Its label was already bought; void it on the order's page "
                                  "to buy another.")
    if order.state == OrderState.ON_HOLD.value:
        return f"On hold: {order.hold_reason}. Release the hold, then add it to a new batch."
    if order.state == OrderState.EXCEPTION.value:
        return f"Needs a person: {order.hold_reason}"
    if order.state != OrderState.READY.value:
        return f"Not ready to ship yet (it is {order.state.replace('_', ' ')})."
    return None


def _unbought_parcels(session, order_id: int) -> list[int]:
    return [p.id for shipment in live_shipments(session, order_id)
            if shipment.state == ShipmentState.RATED
            for p in shipment.parcels if p.bought_at is None and p.voided_at is None]


def _buy(svc, parcel_id: int) -> None:
    """`buy_label`; when another run holds the parcel's purchase lease, wait until that run has
    bought it or its lease ran out (it died), then once more, to adopt or finish its purchase."""
    run("buy_label", parcel_id)
    waited = False
    while _in_flight(svc, parcel_id):
        waited = True
        time.sleep(0.5)
    if waited:
        run("buy_label", parcel_id)


def _in_flight(svc, parcel_id: int) -> bool:
    with svc.db.session() as s:
        parcel = s.get(ParcelRow, parcel_id)
        order = s.get(Order, parcel.shipment.order_id)
        if order.state == OrderState.EXCEPTION.value or parcel.bought_at or parcel.voided_at:
            return False
        started = parcel.buy_started_at
        return started is not None and started + svc.purchase_lease > utcnow()


def _outcome(session, order: Order) -> tuple[BatchOutcome, str]:
    if order.state in (OrderState.ON_HOLD.value, OrderState.EXCEPTION.value):
        return BatchOutcome.FAILED, order.hold_reason or "The order needs a person: see its page."
    live = live_shipments(session, order.id)
    bought = [sh for sh in live if sh.state in LABELLED]
    if not bought or any(sh.state == ShipmentState.RATED for sh in live):
        return BatchOutcome.FAILED, ("Not every label was bought: see the order's page, then "
                                     "add it to a new batch.")
    return BatchOutcome.BOUGHT, "; ".join(
        f"{sh.carrier} {sh.service}: {', '.join(p.tracking_code for p in _live(sh))}"
        for sh in bought)


def _live(shipment: Shipment) -> list[ParcelRow]:
    return [p for p in shipment.parcels if p.bought_at is not None and p.voided_at is None]
