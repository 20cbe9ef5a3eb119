"""The processes a benchmark starts: each in its own process group, logged, stopped on the way out.

Nothing here imports the app.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

from bench.common import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Procs:
    """Subprocesses this run started, each in its own process group, stopped on the way out.

    Each writes to `<logs>/<name>.log`, appended to when a name is started again.
    """

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

    def check(self, names: list[str] | None = None) -> None:
        """RuntimeError with its log's tail if a process this run started (of `names`, if
        given) has exited."""
        for name, proc in self.running:
            if (names is None or name in names) and proc.poll() is not None:
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

    def say_tails(self, say, lines: int = 15) -> None:
        """The last lines of every running process's log (after a failure)."""
        for name, _proc in self.running:
            tail = self.tail(name, lines)
            if tail:
                say(f"--- {name} log (last lines) ---\n{tail}")

    def grep(self, prefix: str, pattern: str) -> list:
        """Every match of `pattern` in the logs of the processes whose name starts with `prefix`."""
        found: list = []
        for path in sorted(self.logs.glob(f"{prefix}*.log")):
            try:
                found += re.findall(pattern, path.read_text(errors="replace"), re.MULTILINE)
            except OSError:
                pass
        return found


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30.0,
              any_answer: bool = False) -> None:
    """Until `url` answers 200 (with `any_answer`, anything but a server error)."""
    import httpx

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        try:
            status = httpx.get(url, timeout=2).status_code
            if status == 200 or (any_answer and status < 500):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")
