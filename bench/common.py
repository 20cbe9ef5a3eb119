"""Helpers shared by the newer benchmarks (bench/tracking_burst.py): processes, CPU, HTTP waits.

These are the same helpers bench/webhook_ingest.py and bench/pipeline.py define for themselves
(those two keep their own copies). Nothing here imports the app.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
NCPU = os.cpu_count() or 1


def say(*parts) -> None:
    print(*parts, flush=True)


def median(values):
    values = sorted(values)
    if not values:
        return 0.0
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def percentile(sorted_values: list[float], p: float) -> float:
    """The p-th percentile of already sorted values (nearest rank), 0.0 when empty."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


# ------------------------------------------------------------------------------------------------
# /proc (Linux, no psutil)


def proc_cpu(pid: int) -> float:
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
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


def children_cpu() -> float:
    """CPU seconds of this process's finished, waited-for children (the load generators)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds over an interval by group of processes, PostgreSQL, and the whole machine.

    `groups` maps a name to a callable returning pids (sampled at start and stop; a process that
    ends in between loses its share, so sample long-lived processes only). "other" is what the
    machine used beyond the groups and PostgreSQL: another user of the machine, i.e. noise.
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


# ------------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Procs:
    """Subprocesses this run started, each in its own process group, stopped on the way out."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, cmd: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running.append((name, proc))
        return proc

    def pids(self, prefix: str) -> list[int]:
        return [p.pid for n, p in self.running if n.startswith(prefix) and p.poll() is None]

    def check(self) -> None:
        """RuntimeError with its log's tail if a process this run started has exited."""
        for name, proc in self.running:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def stop(self, names: list[str] | None = None, timeout: float = 15.0) -> None:
        chosen = [(n, p) for n, p in self.running if names is None or n in names]
        for _n, proc in chosen:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        end = time.monotonic() + timeout
        for _n, proc in chosen:
            try:
                proc.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:  # the whole group: gunicorn workers, RQ's scheduler child
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        self.running = [(n, p) for n, p in self.running if (n, p) not in chosen]

    def tail(self, name: str, lines: int = 30) -> str:
        try:
            return "\n".join(
                (self.logs / f"{name}.log").read_text(errors="replace").splitlines()[-lines:]
            )
        except OSError:
            return ""

    def grep(self, prefix: str, pattern: str) -> list[str]:
        """Every match of `pattern` in the logs of the processes whose name starts with `prefix`."""
        found: list[str] = []
        for path in sorted(self.logs.glob(f"{prefix}*.log")):
            try:
                found += re.findall(pattern, path.read_text(errors="replace"), re.MULTILINE)
            except OSError:
                pass
        return found


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    import httpx

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def session_token(shop: str, api_key: str, api_secret: str, ttl: int = 60) -> str:
    """An App Bridge session token for `shop`, as Shopify's admin would mint it."""
    import jwt

    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": api_key,
        "sub": "42",
        "exp": now + ttl,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": uuid.uuid4().hex,
        "sid": uuid.uuid4().hex,
    }
    return jwt.encode(claims, api_secret, algorithm="HS256")


def app_version() -> str:
    """The commit the app runs at, and whether its files differ from it (for comparing runs)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "orderflow"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        return (head or "unknown") + (" with uncommitted changes in orderflow/" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
