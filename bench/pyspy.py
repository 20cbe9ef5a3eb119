"""Where the gunicorn workers spend their time: py-spy samples over a phase (`--profile`).

py-spy records each worker's stacks in its raw format while the phase runs; the report gives the
share of samples by leaf function, and by a few telling callers (inclusive).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bench.common import say


def start_profilers(py_spy: str, directory: Path, phase: str, pids: list[int],
                    duration: float):
    running = []
    for pid in pids:
        out = directory / f"{phase}.{pid}.pyspy"
        running.append((out, subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--duration", str(max(1, int(duration) - 1)),
             "--rate", "250", "--format", "raw", "--nonblocking", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    time.sleep(0.3)  # let py-spy attach
    return running


def report_profiles(profilers, top: int = 14) -> None:
    """Share of the samples by leaf function (self) and by a few telling callers (inclusive)."""
    leaves: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    marks = ("verify_webhook_req", "_record", "bench_baseline", "get_data", "json.loads",
             "execute", "commit", "_connection_for_bind", "pre_ping", "do_ping", "_checkout",
             "handle_request", "dispatch_request", "full_dispatch_request", "accept")
    for out, proc in profilers:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        try:
            text = out.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = stack.split(";")
            leaf = frames[-1]
            leaves[leaf] = leaves.get(leaf, 0) + n
            seen = set()
            for frame in frames:
                name = frame.split(" (")[0].strip()
                for mark in marks:
                    if mark in name and mark not in seen:
                        seen.add(mark)
                        inclusive[mark] = inclusive.get(mark, 0) + n
    if not total:
        say("    (py-spy gave no samples)")
        return
    say(f"    py-spy: {total} samples over the workers; inclusive share:")
    say("      " + ", ".join(f"{k} {v / total:.0%}" for k, v in
                            sorted(inclusive.items(), key=lambda kv: -kv[1])))
    say("    top leaf frames (self):")
    for leaf, n in sorted(leaves.items(), key=lambda kv: -kv[1])[:top]:
        say(f"      {n / total:6.1%}  {leaf[:150]}")

