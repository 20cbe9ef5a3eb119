"""Jobs as values: a `JobCall` names a job function by its dotted path, with deterministic id,
queue and timeout; `job` declares those where the function is defined."""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass

# In priority order: a worker takes its next job from the first queue that has one. Shipping an
# order already recorded goes before recording the next, so a burst of orders flows through one
# by one (Shopify and the carrier busy side by side) instead of step by step, each step idling
# the other. Tracking and emails follow a fulfilment; they wait behind new orders.
QUEUES = ("shipping", "webhooks", "tracking", "email", "reconcile", "default")


class QueueUnavailable(RuntimeError):
    """The queue (Redis) cannot take work now; the outbox keeps it until it can."""


@dataclass(frozen=True)
class JobCall:
    func: str  # dotted path of the job function
    args: tuple
    job_id: str
    queue: str = "default"
    timeout: int = 300


def job(queue: str = "default", timeout: int = 300):
    """Declare a job's queue and timeout where it is defined."""
    def mark(fn):
        fn.job_queue, fn.job_timeout = queue, timeout
        fn.call = lambda *args, job_id: JobCall(
            f"{fn.__module__}.{fn.__name__}", tuple(args), job_id, queue, timeout
        )
        return fn
    return mark


attempt_state = threading.local()


def is_last_attempt() -> bool:
    """True in the run after which the job will not be retried (so it must fail visibly)."""
    from rq import get_current_job
    current = get_current_job()
    if current is not None:
        return not current.retries_left
    return getattr(attempt_state, "last", True)


def resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)
