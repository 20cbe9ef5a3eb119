"""Every job by name, with where its function lives, its queue and its timeout; and the steps
that one job runs from another job's module.

One table, so that a job, the clock or the outbox starts a job by its name (`calls.call`) without
importing the module that defines it: no job module imports another, and queue/ imports none.
The function itself is marked `@job` (calls.py), which finds its line here by its dotted path.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class JobSpec:
    path: str  # dotted path of the job function, as RQ stores it
    queue: str
    timeout: int  # seconds before RQ stops the run


JOBS = {
    "process_delivery": JobSpec("orderflow.jobs.deliveries.process_delivery", "webhooks", 300),
    "plan_shipment": JobSpec("orderflow.jobs.planning.plan_shipment", "shipping", 300),
    "buy_label": JobSpec("orderflow.jobs.labels.buy_label", "shipping", 120),
    "push_fulfilment": JobSpec("orderflow.jobs.fulfilments.push_fulfilment", "shipping", 300),
    "void_shipment": JobSpec("orderflow.jobs.voids.void_shipment", "shipping", 300),
    "buy_batch": JobSpec("orderflow.jobs.batches.buy_batch", "shipping", 1800),
    "start_tracking": JobSpec("orderflow.jobs.tracking.start_tracking", "tracking", 120),
    "poll_parcel": JobSpec("orderflow.jobs.tracking.poll_parcel", "tracking", 120),
    "flag_stalled": JobSpec("orderflow.jobs.tracking.flag_stalled", "tracking", 60),
    "push_event": JobSpec("orderflow.jobs.notices.push_event", "tracking", 120),
    "send_email": JobSpec("orderflow.jobs.notices.send_email", "email", 120),
    "reconcile_shop": JobSpec("orderflow.jobs.reconcile.reconcile_shop", "reconcile", 1800),
    "after_install": JobSpec("orderflow.jobs.reconcile.after_install", "reconcile", 600),
}

# Functions a job runs here and now (`calls.run`) from another job module: the handler of each
# recorded delivery's topic (topics.py), and the step that records an order snapshot, which the
# order webhooks and the reconciler share.
STEPS = {
    "apply_order": "orderflow.jobs.orders.apply_order",
    "apply_order_webhook": "orderflow.jobs.orders.apply_order_webhook",
    "apply_tracker_webhook": "orderflow.jobs.tracking.apply_tracker_webhook",
    "uninstall": "orderflow.jobs.compliance.uninstall",
    "data_request": "orderflow.jobs.compliance.data_request",
    "redact_customer": "orderflow.jobs.compliance.redact_customer",
    "redact_shop": "orderflow.jobs.compliance.redact_shop",
}

# Dotted paths of jobs that moved, for jobs already waiting in Redis under the old path: RQ
# imports the old module, whose `__getattr__` hands over the job where it lives now. Remove one
# release after the move (when no job of the old path can be left queued or failed for retry).
MOVED = {
    "orderflow.jobs.shipping.plan_shipment": "orderflow.jobs.planning.plan_shipment",
    "orderflow.jobs.shipping.buy_label": "orderflow.jobs.labels.buy_label",
    "orderflow.jobs.shipping.push_fulfilment": "orderflow.jobs.fulfilments.push_fulfilment",
    "orderflow.jobs.shipping.void_shipment": "orderflow.jobs.voids.void_shipment",
}

_NAME_AT = {spec.path: name for name, spec in JOBS.items()}


def name_at(path: str) -> str:
    """The name of the job declared at `path`; KeyError for a function no line declares."""
    return _NAME_AT[path]
