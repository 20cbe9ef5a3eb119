"""Where jobs go: RQ on Redis in production, an in-process worker pool in the embedded mode.

Both take `JobCall`s with deterministic ids and say which ids are still waiting or running, so the
outbox sweeper can tell work in flight from work that was lost.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from .calls import JobCall, QueueUnavailable, attempt_state, resolve

log = logging.getLogger(__name__)


class Queue(Protocol):
    """What the app asks of a queue. Either may raise `QueueUnavailable` (Redis down);
    queue/enqueue.py decides what a caller does then."""

    def enqueue_many(self, calls: list[JobCall]) -> None:
        """Take every call, or none."""

    def alive(self, job_ids: list[str]) -> set[str]:
        """The ids among `job_ids` whose job is waiting or running."""


class RQQueue:
    def __init__(self, redis_url: str, max_attempts: int, intervals: tuple[int, ...]):
        from redis import Redis
        self.redis = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
        self._max_attempts = max_attempts
        self._intervals = list(intervals)

    def enqueue_many(self, calls: list[JobCall]) -> None:
        from redis.exceptions import RedisError
        from rq import Queue, Retry
        retry = Retry(max=self._max_attempts - 1, interval=self._intervals)
        try:
            with self.redis.pipeline() as pipe:
                for name in {c.queue for c in calls}:
                    queue = Queue(name, connection=self.redis)
                    queue.enqueue_many([
                        Queue.prepare_data(c.func, c.args, job_id=c.job_id, timeout=c.timeout,
                                           retry=retry, result_ttl=600, failure_ttl=7 * 86400)
                        for c in calls if c.queue == name
                    ], pipeline=pipe)
                pipe.execute()
        except RedisError as exc:
            raise QueueUnavailable(f"Redis is unavailable: {exc}") from exc

    def alive(self, job_ids: list[str]) -> set[str]:
        from redis.exceptions import RedisError
        from rq.job import Job, JobStatus
        waiting = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}
        try:
            jobs = Job.fetch_many(job_ids, connection=self.redis)
            return {j.id for j in jobs if j is not None and j.get_status(refresh=False) in waiting}
        except RedisError as exc:
            raise QueueUnavailable(f"Redis is unavailable: {exc}") from exc


class InlineQueue:
    """Jobs run on a small thread pool inside this process, with the same retries as RQ's."""

    def __init__(self, app, max_attempts: int, intervals: tuple[int, ...], workers: int = 2):
        self._app = app
        self._max_attempts = max_attempts
        self._intervals = intervals
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def enqueue_many(self, calls: list[JobCall]) -> None:
        for call in calls:
            with self._lock:
                if call.job_id in self._pending:
                    continue
                self._pending.add(call.job_id)
            self._pool.submit(self._run, call, 1)

    def alive(self, job_ids: list[str]) -> set[str]:
        with self._lock:
            return self._pending & set(job_ids)

    def idle(self) -> bool:
        with self._lock:
            return not self._pending

    def _run(self, call: JobCall, attempt: int) -> None:
        attempt_state.last = attempt >= self._max_attempts
        try:
            with self._app.app_context():
                resolve(call.func)(*call.args)
        except Exception:
            if attempt < self._max_attempts:
                delay = self._intervals[min(attempt - 1, len(self._intervals) - 1)]
                log.warning("job %s failed (attempt %d); retrying in %ss", call.job_id, attempt,
                            delay, exc_info=True)
                timer = threading.Timer(delay, self._pool.submit, (self._run, call, attempt + 1))
                timer.daemon = True
                timer.start()
                return
            log.exception("job %s failed for good after %d attempts", call.job_id, attempt)
        with self._lock:
            self._pending.discard(call.job_id)
