"""The one answer to "Redis is down": the queue takes all of the calls or none, and says so."""

import logging
from types import SimpleNamespace

from orderflow.queue.calls import QueueUnavailable, call
from orderflow.queue.enqueue import alive, enqueue


class Queue:
    def __init__(self, down: bool = False, running: set[str] = frozenset()):
        self.down, self.running, self.taken = down, set(running), []

    def enqueue_many(self, calls):
        if self.down:
            raise QueueUnavailable("Redis is unavailable: refused")
        self.taken += calls

    def alive(self, job_ids):
        if self.down:
            raise QueueUnavailable("Redis is unavailable: refused")
        return self.running & set(job_ids)


def calls(*ids):
    return [call("buy_label", i, job_id=f"buy-{i}") for i in ids]


def test_the_queue_takes_every_call():
    svc = SimpleNamespace(queue=Queue())
    assert enqueue(svc, calls(1, 2), "labels wait") == 2
    assert [c.job_id for c in svc.queue.taken] == ["buy-1", "buy-2"]


class Said(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_redis_down_takes_none_and_says_what_waits():
    svc = SimpleNamespace(queue=Queue(down=True))
    said, logger = Said(), logging.getLogger("orderflow.queue.enqueue")
    logger.addHandler(said)
    try:
        assert enqueue(svc, calls(1), "labels wait for the clock") == 0
    finally:
        logger.removeHandler(said)
    assert said.lines == ["labels wait for the clock: Redis is unavailable: refused"]


def test_nothing_to_enqueue_asks_nothing():
    svc = SimpleNamespace(queue=Queue(down=True))
    assert enqueue(svc, [], "nothing waits") == 0


def test_calls_whose_job_is_alive_are_left_out():
    svc = SimpleNamespace(queue=Queue(running={"buy-1"}))
    assert enqueue(svc, calls(1, 2), "labels wait", unless_alive=True) == 1
    assert [c.job_id for c in svc.queue.taken] == ["buy-2"]


def test_while_redis_is_down_no_job_is_known_alive():
    assert alive(SimpleNamespace(queue=Queue(down=True)), ["buy-1"]) == set()
    assert alive(SimpleNamespace(queue=Queue(running={"buy-1"})), ["buy-1"]) == {"buy-1"}
