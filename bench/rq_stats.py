"""What the RQ queues hold, and what the workers' logs say they did."""

from __future__ import annotations

from collections import defaultdict

# RQ logs one line per job it finished: "... Successfully completed <func>(<args>) job in
# 0:00:00.123456s on worker ...".
JOB_DONE = r"Successfully completed ([\w.]+)\(.*?\) job in (\d+):(\d\d):(\d\d(?:\.\d+)?)s"


def queue_state(redis, names) -> dict[str, dict[str, int]]:
    """Per queue with anything in it: jobs queued, started, scheduled (retries) and failed."""
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    out = {}
    for name in names:
        queue = Queue(name, connection=redis)
        row = {"queued": len(queue), "started": StartedJobRegistry(queue=queue).count,
               "scheduled": ScheduledJobRegistry(queue=queue).count,
               "failed": FailedJobRegistry(queue=queue).count}
        if any(row.values()):
            out[name] = row
    return out


def jobs_by_func(found) -> dict[str, tuple[int, float]]:
    """(count, seconds) by job function (its last dotted name), from `JOB_DONE` matches."""
    seconds: dict[str, list[float]] = defaultdict(list)
    for func, h, m, sec in found:
        seconds[func.rsplit(".", 1)[-1]].append(int(h) * 3600 + int(m) * 60 + float(sec))
    return {k: (len(v), sum(v)) for k, v in seconds.items()}
