"""Where plan_shipment, buy_label, push_fulfilment and void_shipment lived until issue 10.

Jobs queued in Redis before that deploy name their function by this module's path: RQ imports
this module and asks it for the job, and `__getattr__` hands over the job where it lives now
(planning.py, labels.py, fulfilments.py, voids.py). It imports nothing until asked, so it adds
no import between job modules. Remove it one release after the move (queue/registry.MOVED).
"""

from __future__ import annotations


def __getattr__(name: str):
    from ..queue.calls import resolve
    from ..queue.registry import MOVED
    target = MOVED.get(f"{__name__}.{name}")
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return resolve(target)
