"""How a job gives up visibly: a job that fails for good leaves its mark where a person looks
(the order in `exception`, the delivery or notice `failed`, the batch's orders told why), never
silent (DESIGN: nothing is lost).

`gives_up(mark)` wraps a job whose first argument is the id of what it works on. A failing run
raises, so the queue retries it; on the last attempt `mark(id, exc)` records the failure, and
the job ends there (or, with `reraise`, fails in the queue as well). `order_exception` is the mark
of the shipping jobs. This module defines no job; every job module may use it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from ..db.models import Order, ParcelRow, Shipment
from ..fulfilment.states import shipments as shipment_states
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import ShipmentState
from ..queue.calls import is_last_attempt
from ..services import services
from ..store.orders import move
from ..store.shipments import live_shipments

log = logging.getLogger(__name__)

Mark = Callable[[int, Exception], None]


def gives_up(mark: Mark, last: Callable[[int], bool] | None = None, reraise: bool = False):
    """On the run after which the job is not retried (`last(id)`, by default the queue's own
    count of attempts), a failure is handed to `mark` before the job ends."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(entity_id: int, *args):
            try:
                return fn(entity_id, *args)
            except Exception as exc:
                if not (last(entity_id) if last else is_last_attempt()):
                    raise
                log.exception("%s for %s failed for good", fn.__name__, entity_id)
                mark(entity_id, exc)
                if reraise:
                    raise
        return run
    return wrap


def order_exception(what: str, order_of: Callable[[object, int], int | None]) -> Mark:
    """The mark of a shipping job: its order in `exception` with "Could not <what>: <error>",
    and its shipments not yet bought with it. `order_of(session, id)` finds the order."""
    def mark(entity_id: int, exc: Exception) -> None:
        message = f"Could not {what}: {exc}"
        with services().db.session() as s, s.begin():
            order_id = order_of(s, entity_id)
            order = s.get(Order, order_id) if order_id else None
            if order is not None:
                for shipment in live_shipments(s, order.id):
                    if shipment.state in (ShipmentState.PLANNED, ShipmentState.RATED):
                        shipment.state = shipment_states.transition(
                            shipment.state, ShipmentState.EXCEPTION).value
                        shipment.error = message
                if order.state != OrderState.EXCEPTION:  # its first failure is the one shown
                    move(s, order, OrderState.EXCEPTION, message, "shipping")
    return mark


def of_order(session, order_id: int) -> int:
    return order_id


def of_parcel(session, parcel_id: int) -> int | None:
    parcel = session.get(ParcelRow, parcel_id)
    return parcel.shipment.order_id if parcel else None


def of_shipment(session, shipment_id: int) -> int | None:
    shipment = session.get(Shipment, shipment_id)
    return shipment.order_id if shipment else None
