"""Handing work to the queue while Redis may be down: the one place that decides what then.

Work is enqueued after the commit that recorded it, so a queue that is down loses nothing: the
caller says what waits, and something finds that work again (the clock's next pass, the outbox's
next dispatch, the batch's page). A caller that must answer otherwise (an action refused with
503) reads the count: the queue took all of the calls, or none of them.
"""

from __future__ import annotations

import logging

from .calls import JobCall, QueueUnavailable

log = logging.getLogger(__name__)


def enqueue(svc, calls: list[JobCall], waiting: str, unless_alive: bool = False) -> int:
    """Enqueue `calls`; how many the queue took. With `unless_alive`, a call whose job is still
    waiting or running is left out. Redis down: none, with a warning that `waiting`."""
    if unless_alive and calls:
        running = alive(svc, [c.job_id for c in calls])
        calls = [c for c in calls if c.job_id not in running]
    if not calls:
        return 0
    try:
        svc.queue.enqueue_many(calls)
    except QueueUnavailable as exc:
        log.warning("%s: %s", waiting, exc)
        return 0
    return len(calls)


def alive(svc, job_ids: list[str]) -> set[str]:
    """The ids among `job_ids` whose job is waiting or running. None is known while Redis is
    down: the caller takes them for lost, which is safe, as every job may run twice."""
    if not job_ids:
        return set()
    try:
        return svc.queue.alive(job_ids)
    except QueueUnavailable:
        return set()
