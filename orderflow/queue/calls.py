"""Jobs as values: a `JobCall` names a job function by its dotted path, with deterministic id,
queue and timeout. Jobs are found by name in registry.py: `call` builds the call that enqueues
one, `run` runs a job or a step here and now, and `@job` marks the function a name stands for."""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass

from .registry import JOBS, STEPS, name_at

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


def call(name: str, *args, job_id: str) -> JobCall:
    """The call that enqueues the job `name` with `args`, on its declared queue and timeout."""
    spec = JOBS[name]
    return JobCall(spec.path, tuple(args), job_id, spec.queue, spec.timeout)


def notice_calls(notices, stamp: str = "") -> list[JobCall]:
    """The job that tells each notice: `push_event` a Shopify event, `send_email` the rest."""
    return [call("push_event" if n.channel == "shopify" else "send_email", n.id,
                 job_id=f"notice-{n.id}{stamp}") for n in notices]


def run(name: str, *args):
    """Run the job or step `name` in this process, as its own module would call it."""
    return resolve(JOBS[name].path if name in JOBS else STEPS[name])(*args)


def job(fn):
    """Mark `fn` as the job registry.py declares at its dotted path (an undeclared one fails at
    import); `fn.call(*args, job_id=...)` builds its `JobCall`."""
    name = name_at(f"{fn.__module__}.{fn.__name__}")
    fn.job_name, fn.job_queue, fn.job_timeout = name, JOBS[name].queue, JOBS[name].timeout
    fn.call = lambda *args, job_id: call(name, *args, job_id=job_id)
    return fn


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
