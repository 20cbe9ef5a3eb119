"""Who used the CPU during a phase, from Linux's /proc (no psutil).

`CpuMeter` splits a phase's CPU seconds among groups of processes, PostgreSQL, the load generators
this process waited for, and everything else on the machine (noise). `CpuWatch` is the simpler
form the in-process benchmark uses: this process, PostgreSQL and the rest.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
NCPU = os.cpu_count() or 1


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used; 0.0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [int(x) for x in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().startswith("postgres"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def machine_busy() -> tuple[float, float]:
    """(CPU seconds the machine was busy, CPU seconds in all) since boot, every core summed."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


def children_cpu() -> float:
    """CPU seconds of this process's finished, waited-for children (the load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident set size (VmHWM) of a live process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return None


class CpuMeter:
    """CPU seconds over an interval by group of processes, PostgreSQL, and the whole machine.

    `groups` maps a name to a callable returning pids (sampled at start and stop; a process that
    ends in between loses its share, so sample long-lived processes only). "generator" is what
    this process's waited-for children used meanwhile. "other" is what the machine used beyond
    all of these: another user of the machine, i.e. noise.
    """

    def __init__(self, groups: dict):
        self.groups = groups

    def _sample(self) -> dict:
        busy, total = machine_busy()
        out = {name: {p: proc_cpu(p) for p in pids()} for name, pids in self.groups.items()}
        out["postgres"] = {p: proc_cpu(p) for p in postgres_pids()}
        out.update(
            machine_busy=busy, machine_total=total, wall=time.monotonic(), children=children_cpu()
        )
        return out

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict:
        after, before = self._sample(), self.before
        wall = after["wall"] - before["wall"]
        used = {}
        for name in list(self.groups) + ["postgres"]:
            used[name] = sum(v - before[name].get(p, 0.0) for p, v in after[name].items())
        used["generator"] = after["children"] - before["children"]
        total = after["machine_total"] - before["machine_total"]
        machine = (
            ((after["machine_busy"] - before["machine_busy"]) / total * NCPU * wall)
            if total
            else 0.0
        )
        used["other"] = max(0.0, machine - sum(used.values()))
        used["machine"] = machine
        return {"wall": wall, **used}


class CpuWatch:
    """Cores busy over a `with` block: this process, PostgreSQL, and everything else."""

    @staticmethod
    def _sample() -> tuple[float, ...]:
        wall, machine, mine = time.monotonic(), machine_busy()[0], sum(os.times()[:2])
        return wall, machine, mine, sum(proc_cpu(p) for p in postgres_pids())

    def __enter__(self):
        self.start = self._sample()
        return self

    def __exit__(self, *_exc):
        wall, machine, mine, postgres = (b - a for a, b in zip(self.start, self._sample(),
                                                               strict=False))
        self.cores = {"bench (app)": mine / wall, "PostgreSQL": postgres / wall,
                      "anything else": max(0.0, machine - mine - postgres) / wall}

    def line(self) -> str:
        noisy = " NOISY" if self.cores["anything else"] > 0.2 else ""
        return "cores busy: " + ", ".join(f"{k} {v:.2f}" for k, v in self.cores.items()) + noisy
