"""The app as the benchmarks run it: its settings, and its processes as production starts them.

gunicorn with sync workers, `flask --app orderflow clock` and `flask --app orderflow worker`, all
from the Python environment that runs the benchmark.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.common import API_KEY, API_SECRET, ROOT
from bench.procs import Procs, wait_http

BIN = Path(sys.executable).parent


def app_settings(database_url: str, redis_url: str, shopify_url: str, app_url: str) -> dict:
    """The settings every benchmark gives the app (for `create_app`, or in the environment)."""
    return {
        "APP_ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "SHOPIFY_API_KEY": API_KEY, "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_SANDBOX_URL": shopify_url, "APP_URL": app_url,
    }


def process_env(settings: dict, **extra: str) -> dict:
    """This process's environment with the app's settings, for the app's own processes.

    The clock runs as its own process (`EMBEDDED_CLOCK=false`), as in production.
    """
    env = dict(os.environ)
    env.update(settings)
    env.update({"EMBEDDED_CLOCK": "false", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def flask_cmd(command: str) -> list[str]:
    """`flask --app orderflow <command>` (clock, worker)."""
    return [str(BIN / "flask"), "--app", "orderflow", command]


def start_gunicorn(procs: Procs, target: str, port: int, workers: int, env: dict,
                   ready: str = "/bench/ping", any_answer: bool = False):
    """gunicorn with `workers` sync workers serving `target`, as the process named "gunicorn";
    returns once `ready` answers (see `wait_http`)."""
    proc = procs.start("gunicorn", [
        str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "--log-level", "warning", target], env)
    wait_http(f"http://127.0.0.1:{port}{ready}", proc, any_answer=any_answer)
    return proc
