"""What a merchant does to a batch of label purchases: start it, and resume it when its job is
lost. The job itself (`buy_batch`, jobs/batches.py) is enqueued by name."""

from __future__ import annotations

import logging

from ..db.models import Batch
from ..fulfilment.states.batches import BatchState
from ..queue.calls import call
from ..queue.enqueue import enqueue

log = logging.getLogger(__name__)


def job_id(batch_id: int) -> str:
    return f"batch-{batch_id}"


def start(svc, batch_id: int, unless_alive: bool = False) -> bool:
    """Enqueue the batch's job; False when the queue is down (the batch's page starts it later)
    or, `unless_alive`, when its job is still waiting or running."""
    batch_call = call("buy_batch", batch_id, job_id=job_id(batch_id))
    return bool(enqueue(svc, [batch_call], f"batch {batch_id} waits for the queue", unless_alive))


def resume_if_lost(svc, batch: Batch) -> None:
    """Enqueue again an unfinished batch whose job is gone (Redis down at the start, a worker
    killed for good): the job skips what is done."""
    if batch.state != BatchState.DONE and start(svc, batch.id, unless_alive=True):
        log.warning("batch %s had no live job; enqueued it again", batch.id)
