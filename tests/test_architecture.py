"""The house rules, checked on the source with `ast`: nothing is imported, so it is quick.

fulfilment/ is pure; no import cycle between our modules; store/ never ends a transaction; no module
over 400 lines; no job module imports another. Modules of `orderflow.sandbox` (a stand-in for
outside services) and `orderflow.db.migrations` (frozen history) are not held to them.
"""

from __future__ import annotations

import ast
import functools
import gc
import sys
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXEMPT = ("orderflow/sandbox/", "orderflow/db/migrations/")
MAX_LINES = 400
HEAD = "#head"  # a package's __init__ without the imports of its own submodules (see _graph)
# Third-party libraries fulfilment/ may use besides the standard library (none today).
SOLVER_LIBRARIES: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Import:
    target: str  # the dotted name of the module imported
    line: int


@dataclass(frozen=True)
class Module:
    name: str
    path: str  # relative to the project's root, as a reader would type it
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.endswith("/__init__.py")


def _dotted(path: Path) -> str:
    parts = path.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def _every_module() -> dict[str, Path]:
    """Every module of the package, exempt ones too, so `from . import name` can be resolved."""
    return {_dotted(p.relative_to(ROOT)): p for p in sorted((ROOT / "orderflow").rglob("*.py"))}


@functools.cache
def _ours() -> dict[str, Module]:
    modules = {}
    gc.disable()  # parsing makes many objects: inside pytest, collecting meanwhile triples the time
    try:
        for name, path in _every_module().items():
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(EXEMPT):
                modules[name] = Module(name, relative, ast.parse(path.read_bytes(), relative))
    finally:
        gc.enable()
    return modules


def _is_ours(name: str) -> bool:
    return name == "orderflow" or name.startswith("orderflow.")


def _base(module: Module, node: ast.ImportFrom) -> str:
    """The absolute name `from <base> import ...` refers to ('' above the root)."""
    if not node.level:
        return node.module or ""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    parts = package.split(".")
    if node.level - 1 >= len(parts):
        return ""
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def _statements(body: list[ast.stmt]):
    """Every statement, nested ones too (in functions, classes, if/try/with blocks), skipping
    expressions: an import is always a statement, and walking only these is much faster."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from _statements(getattr(node, field, ()))


@functools.cache
def imports_of(name: str) -> tuple[Import, ...]:
    """Every import of our modules in a module, inside functions too; `from pkg import name`
    counts as importing pkg.name when that is a module, else as importing pkg."""
    module, known = _ours()[name], _every_module()
    found = []
    for node in _statements(module.tree.body):
        if isinstance(node, ast.Import):
            found += [Import(a.name, node.lineno) for a in node.names if _is_ours(a.name)]
        elif isinstance(node, ast.ImportFrom) and _is_ours(base := _base(module, node)):
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append(Import(submodule if submodule in known else base, node.lineno))
    return tuple(dict.fromkeys(found))


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _where(name: str) -> str:
    module = _ours().get(name.removesuffix(HEAD))
    return module.path if module else name


def test_fulfilment_imports_nothing_of_ours_outside_fulfilment():
    wrong = [
        f"{module.path}:{imp.line} imports {imp.target}: fulfilment/ is pure, so pass the value in "
        f"as an argument, or move the code that needs {imp.target} out of fulfilment/"
        for module in _ours().values() if _within(module.name, "orderflow.fulfilment")
        for imp in imports_of(module.name) if not _within(imp.target, "orderflow.fulfilment")
    ]
    assert not wrong, "\n".join(wrong)


def test_fulfilment_uses_only_the_standard_library():
    allowed = sys.stdlib_module_names | SOLVER_LIBRARIES
    wrong = []
    for module in _ours().values():
        if not _within(module.name, "orderflow.fulfilment"):
            continue
        for node in _statements(module.tree.body):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            wrong += [
                f"{module.path}:{node.lineno} imports {n}: fulfilment/ uses the standard library "
                f"(and solver libraries, listed in SOLVER_LIBRARIES here) only; move the code that "
                f"needs {n} to the layer that calls fulfilment/"
                for n in names if not _is_ours(n) and n.partition(".")[0] not in allowed
            ]
    assert not wrong, "\n".join(wrong)


def _graph() -> dict[str, dict[str, int]]:
    """module -> {module it imports: line of the first such import}, between our modules only.

    A package's __init__ is two nodes: its head (its imports other than its own submodules) and
    the whole (the head, then its submodules). A module importing its own package imports only
    the head: that is the blueprint wiring (bp defined in the head, the route modules imported at
    the bottom, each importing bp), not a cycle. Any other module importing a package gets it all.
    """
    ours = _ours()
    graph: dict[str, dict[str, int]] = {}
    for name, module in ours.items():
        whole = graph.setdefault(name, {})
        head = graph.setdefault(name + HEAD, {}) if module.is_package else whole
        if module.is_package:
            whole[name + HEAD] = 0  # line 0: not an import, left out of the message
        parent = name.rpartition(".")[0]
        for imp in imports_of(name):
            if imp.target in ours and imp.target != name:
                edges = whole if _within(imp.target, name) else head
                target = imp.target + HEAD if imp.target == parent else imp.target
                edges.setdefault(target, imp.line)
    return graph


def _strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that import one another, two or more each."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _shortest_cycle(graph: dict[str, dict[str, int]], group: list[str]) -> list[str]:
    start, members = group[0], set(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in graph[node]:
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if nxt in members and nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group always has one


def test_no_import_cycle_between_our_modules():
    graph = _graph()
    wrong = []
    for group in _strongly_connected(graph):
        cycle = _shortest_cycle(graph, group)
        steps = [f"{_where(a)}:{graph[a][b]}" for a, b in pairwise(cycle) if graph[a][b]]
        others = sorted(set(group) - set(cycle))
        also = f"; {', '.join(map(_where, others))} are in it too" if others else ""
        wrong.append(
            f"import cycle: {' -> '.join([*steps, _where(cycle[0])])} (each file:line imports the "
            f"next{also}): move what they share down a layer (store/, fulfilment/, queue/), or "
            f"split the module that both sides need"
        )
    assert not wrong, "\n".join(wrong)


def test_store_never_ends_a_transaction():
    wrong = [
        f"{module.path}:{node.lineno} calls .{node.func.attr}(): store/ works inside the caller's "
        f"transaction; leave begin/commit/rollback to the handler or job that calls it"
        for module in _ours().values() if _within(module.name, "orderflow.store")
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"commit", "begin", "rollback"}
    ]
    assert not wrong, "\n".join(wrong)


def test_no_module_over_400_lines():
    paths = [ROOT / m.path for m in _ours().values()]
    paths += sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py"))
    wrong = []
    for path in paths:
        lines = len(path.read_bytes().splitlines())
        if lines > MAX_LINES:
            wrong.append(f"{path.relative_to(ROOT).as_posix()} has {lines} lines (at most "
                         f"{MAX_LINES}): split it into modules named for what each part does")
    assert not wrong, "\n".join(wrong)


@functools.cache
def _defines_a_job(name: str) -> bool:
    """A job module has a function decorated with @job(...) (see orderflow/queue/calls.py)."""
    for node in _statements(_ours()[name].tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                func = deco.func if isinstance(deco, ast.Call) else deco
                if getattr(func, "id", None) == "job" or getattr(func, "attr", None) == "job":
                    return True
    return False


def _jobs_reached(name: str) -> dict[str, list[str]]:
    """The job modules that `name` imports, directly or through modules of jobs/ that define no
    job, each with the path of imports that leads there."""
    paths = {name: [name]}
    reached = {}
    queue = deque([name])
    while queue:
        node = queue.popleft()
        for nxt in (imp.target for imp in imports_of(node)):
            if nxt in paths or nxt not in _ours() or nxt.rpartition(".")[0] != "orderflow.jobs":
                continue
            paths[nxt] = [*paths[node], nxt]
            if _defines_a_job(nxt):
                reached[nxt] = paths[nxt]
            else:
                queue.append(nxt)
    return reached


def test_no_job_module_imports_another_job_module():
    """A job module (one defining a @job) imports no other, not even through a helper of jobs/;
    jobs/ helpers that define no job (a shared decorator, an old path kept as an alias) are free."""
    ours = _ours()
    jobs = [name for name, module in ours.items() if name.rpartition(".")[0] == "orderflow.jobs"
            and not module.is_package and _defines_a_job(name)]
    wrong = [
        f"{ours[name].path} imports job module {ours[other].path}"
        + (f" (through {' -> '.join(map(_where, path[1:-1]))})" if len(path) > 2 else "")
        + ": move what both need out of jobs/ (to store/, actions/, fulfilment/ or queue/), or "
        "enqueue the other job instead of calling it"
        for name in jobs for other, path in _jobs_reached(name).items()
    ]
    assert not wrong, "\n".join(wrong)
