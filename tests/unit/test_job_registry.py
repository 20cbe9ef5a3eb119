"""Every job is found by its name: each name in the registry is a declared job where it says,
every name the code enqueues or runs is in the registry, jobs queued under a path that moved
still run, and no job module imports another (nor does queue/ import any)."""

import ast
import importlib
from pathlib import Path

import pytest
from rq.utils import import_attribute

from orderflow.queue import topics
from orderflow.queue.calls import call, resolve
from orderflow.queue.registry import JOBS, MOVED, STEPS

PACKAGE = Path(__file__).resolve().parents[2] / "orderflow"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "sandbox" not in p.parts)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def names_used(function: str) -> set[str]:
    """Every literal name in the first argument of a `function(name, ...)` call (both of
    `"push_event" if ... else "send_email"`)."""
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == function and node.args):
                found |= literal_names(node.args[0])
    return found


def literal_names(expr: ast.expr) -> set[str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return literal_names(expr.body) | literal_names(expr.orelse)
    return set()


@pytest.mark.parametrize("name", sorted(JOBS))
def test_each_declared_job_is_the_job_marked_at_its_path(name):
    spec = JOBS[name]
    function = resolve(spec.path)
    assert function.job_name == name
    assert (function.job_queue, function.job_timeout) == (spec.queue, spec.timeout)
    assert call(name, 1, job_id="x").func == spec.path


@pytest.mark.parametrize("name", sorted(STEPS))
def test_each_step_resolves_to_a_function(name):
    assert callable(resolve(STEPS[name]))


def test_every_job_name_enqueued_is_declared():
    used = names_used("call")
    assert used, "the scan finds the calls"
    assert used <= set(JOBS), used - set(JOBS)


def test_every_name_run_here_is_a_job_or_a_step():
    used = names_used("run") | set(topics.HANDLERS.values())
    assert used <= set(JOBS) | set(STEPS), used - set(JOBS) - set(STEPS)


def test_every_topic_recorded_has_a_handler():
    assert set(topics.TOPICS + topics.CARRIER_TOPICS) == set(topics.HANDLERS)


def test_every_job_function_is_declared():
    marked = set()
    for path in (PACKAGE / "jobs").glob("*.py"):
        module = importlib.import_module(module_name(path))
        marked |= {f"{module.__name__}.{name}" for name, value in vars(module).items()
                   if getattr(value, "job_name", None) and value.__module__ == module.__name__}
    assert marked == {spec.path for spec in JOBS.values()}


@pytest.mark.parametrize("old", ["orderflow.jobs.shipping.plan_shipment",
                                 "orderflow.jobs.shipping.buy_label",
                                 "orderflow.jobs.shipping.push_fulfilment",
                                 "orderflow.jobs.shipping.void_shipment"])
def test_a_job_queued_under_its_old_path_still_runs(old):
    moved_to = resolve(MOVED[old])
    assert resolve(old) is moved_to
    assert import_attribute(old) is moved_to, "RQ's own look-up finds it too"


def test_an_old_path_that_never_was_a_job_is_not_found():
    with pytest.raises(AttributeError):
        resolve("orderflow.jobs.shipping.tracking_input")


def imports_of(path: Path) -> set[str]:
    """The modules of ours `path` imports, at any depth of the file."""
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("orderflow")}
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found |= {f"{module}.{a.name}" for a in node.names} | {module}
    return {m for m in found if m.startswith("orderflow")}


def test_no_module_of_jobs_imports_another_but_the_failures_decorator():
    for path in (PACKAGE / "jobs").glob("*.py"):
        if path.name == "__init__.py":
            continue
        others = {m for m in imports_of(path) if m.startswith("orderflow.jobs")
                  and not m.startswith("orderflow.jobs.failures") and m != "orderflow.jobs"}
        assert not others, f"{path.name} imports {others}"


def test_queue_imports_no_job_module():
    for path in (PACKAGE / "queue").glob("*.py"):
        assert not {m for m in imports_of(path) if m.startswith("orderflow.jobs")}, path.name
