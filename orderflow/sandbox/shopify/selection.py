"""Reads the selection set of a GraphQL document, projects data onto it and prices it.

This is deliberately not a GraphQL implementation: there is no schema, no validation and no
named fragments. Operations are dispatched by name (see graphql.py); this module only lets each
operation answer with exactly the fields the client selected, and computes Shopify's query cost
(object 1, scalar 0, connection 2 + first x node cost) from the same selection tree.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r'"""[\s\S]*?"""|"(?:[^"\\]|\\.)*"|\.\.\.|\$?[A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?'
    r"|[{}()\[\]:=!@]"
)
MAX_PAGE = 250


class QueryError(Exception):
    """Becomes a top-level `errors` entry (HTTP 200), like Shopify's validation errors."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass
class Field:
    name: str | None  # None: an inline fragment (`... on Type { }`)
    alias: str | None = None
    args: dict = field(default_factory=dict)
    children: list[Field] | None = None
    type_condition: str | None = None

    @property
    def key(self) -> str:
        return self.alias or self.name or ""


@dataclass
class Operation:
    kind: str  # "query" or "mutation"
    name: str | None
    fields: list[Field]


def operation_header(text: str) -> tuple[str, str | None]:
    """("query"|"mutation", name) of the first operation, without reading the rest."""
    match = re.search(r"^\s*(query|mutation|subscription)\b\s*([A-Za-z_]\w*)?", _strip(text))
    if match:
        return match.group(1), match.group(2)
    return "query", None


def read_operation(text: str, variables: dict | None) -> Operation:
    tokens = _TOKEN.findall(_strip(text))
    return _Reader(tokens, dict(variables or {})).operation()


def _strip(text: str) -> str:
    return re.sub(r"#[^\n]*", "", text or "").replace(",", " ")


class _Reader:
    def __init__(self, tokens: list[str], variables: dict):
        self.tokens, self.pos, self.vars = tokens, 0, variables

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self) -> str:
        token = self.peek()
        if token is None:
            raise QueryError("syntax error, unexpected end of document")
        self.pos += 1
        return token

    def operation(self) -> Operation:
        kind, name = "query", None
        if self.peek() in ("query", "mutation", "subscription"):
            kind = self.next()
            if self.peek() not in ("(", "{", "@"):
                name = self.next()
        if self.peek() == "(":
            self.variable_defaults()
        while self.peek() != "{":  # directives
            self.next()
        return Operation(kind, name, self.selection())

    def variable_defaults(self) -> None:
        """`($first: Int = 5, $id: ID!)`: a variable the request leaves out takes its default."""
        self.expect("(")
        while self.peek() != ")":
            name = self.next()
            self.expect(":")
            while self.peek() not in ("=", ")", "@") and not str(self.peek()).startswith("$"):
                self.next()  # the type: Int, [ID!]!, ...
            if self.peek() == "=":
                self.next()
                default = self.value()
                self.vars.setdefault(name[1:], default)
            self.skip_directives()
        self.expect(")")

    def selection(self) -> list[Field]:
        self.expect("{")
        fields = []
        while self.peek() != "}":
            fields.append(self.fragment() if self.peek() == "..." else self.field())
        self.expect("}")
        return fields

    def fragment(self) -> Field:
        self.next()
        if self.peek() != "on":
            raise QueryError(f"sandbox does not support named fragments ({self.peek()})")
        self.next()
        condition = self.next()
        self.skip_directives()
        return Field(None, children=self.selection(), type_condition=condition)

    def field(self) -> Field:
        name, alias = self.next(), None
        if self.peek() == ":":
            self.next()
            alias, name = name, self.next()
        args = self.arguments() if self.peek() == "(" else {}
        self.skip_directives()
        children = self.selection() if self.peek() == "{" else None
        return Field(name, alias, args, children)

    def arguments(self) -> dict:
        self.expect("(")
        args = {}
        while self.peek() != ")":
            key = self.next()
            self.expect(":")
            args[key] = self.value()
        self.expect(")")
        return args

    def value(self) -> Any:
        token = self.next()
        if token == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.next()
            return items
        if token == "{":
            obj = {}
            while self.peek() != "}":
                key = self.next()
                self.expect(":")
                obj[key] = self.value()
            self.next()
            return obj
        return self.scalar(token)

    def scalar(self, token: str) -> Any:
        if token.startswith("$"):
            return self.vars.get(token[1:])
        if token.startswith('"""'):
            return token[3:-3]
        if token.startswith('"'):
            return json.loads(token)
        if token in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token]
        if re.fullmatch(r"-?\d+", token):
            return int(token)
        if re.fullmatch(r"-?\d+\.\d+", token):
            return float(token)
        return token  # an enum value

    def skip_directives(self) -> None:
        while self.peek() == "@":
            self.next()
            self.next()
            if self.peek() == "(":
                self.arguments()

    def expect(self, token: str) -> None:
        got = self.next()
        if got != token:
            raise QueryError(f"syntax error, unexpected {got!r}, expecting {token!r}")


# --- projection -------------------------------------------------------------------------------


class Connection:
    """A Relay connection over already filtered and sorted items.

    `sort_value(item)` gives the tuple the list is sorted by; cursors carry it, so `after`
    keeps working when items move, like Shopify's cursors (base64 of last_id/last_value).
    """

    def __init__(self, items: list, sort_value: Callable[[Any], tuple] | None = None,
                 build: Callable[[Any], dict] | None = None):
        self.items = items
        self.sort_value = sort_value or (lambda item: (_legacy_id(item),))
        self.build = build or (lambda item: item)  # item -> node, only for the page returned

    def page(self, args: dict) -> dict:
        first, last = args.get("first"), args.get("last")
        if first is None and last is None:
            raise QueryError("you must provide one of first or last")
        items = self.items
        if args.get("after"):
            after = _decode_cursor(args["after"])
            items = [i for i in items if list(self.sort_value(i)) > after]
        if args.get("before"):
            before = _decode_cursor(args["before"])
            items = [i for i in items if list(self.sort_value(i)) < before]
        if first is not None:
            selected = items[: min(int(first), MAX_PAGE)]
            has_next, has_prev = len(items) > len(selected), bool(args.get("after"))
        else:
            selected = items[max(len(items) - min(int(last), MAX_PAGE), 0):]
            has_next, has_prev = bool(args.get("before")), len(items) > len(selected)
        return self._shape(selected, has_next, has_prev)

    def _shape(self, selected: list, has_next: bool, has_prev: bool) -> dict:
        cursors = [self.cursor(item) for item in selected]
        selected = [self.build(item) for item in selected]
        return {
            "nodes": selected,
            "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, selected, strict=True)],
            "pageInfo": {
                "hasNextPage": has_next,
                "hasPreviousPage": has_prev,
                "startCursor": cursors[0] if cursors else None,
                "endCursor": cursors[-1] if cursors else None,
            },
        }

    def cursor(self, item) -> str:
        value = list(self.sort_value(item))
        raw = json.dumps({"last_id": value[-1], "last_value": value[0] if len(value) > 1 else None,
                          "sort": value})
        return base64.b64encode(raw.encode()).decode()


def _legacy_id(item: dict) -> int:
    return int(str(item.get("id", "0")).rsplit("/", 1)[-1] or 0)


def _decode_cursor(cursor: str) -> list:
    try:
        return list(json.loads(base64.b64decode(cursor))["sort"])
    except Exception:
        raise QueryError(f"Invalid cursor for current pagination sort. ({cursor})") from None


def project(fields: list[Field], source: dict) -> dict:
    """Copy from `source` exactly the selected fields; callables are resolvers taking args."""
    out: dict = {}
    for f in fields:
        if f.name is None:
            if f.type_condition in (None, source.get("__typename")):
                out.update(project(f.children or [], source))
            continue
        if f.name not in source:
            kind = source.get("__typename", "object")
            raise QueryError(f"Field '{f.name}' doesn't exist on type '{kind}'",
                             "undefinedField")
        value = source[f.name]
        if callable(value):
            value = value(f.args)
        out[f.key] = _shape(f, value)
    return out


def _shape(f: Field, value: Any) -> Any:
    if isinstance(value, Connection):
        value = value.page(f.args)
    if value is None or f.children is None:
        return value
    if isinstance(value, list):
        return [None if v is None else project(f.children, v) for v in value]
    return project(f.children, value)


# --- cost ---------------------------------------------------------------------------------------


def _is_connection(f: Field) -> bool:
    return "first" in f.args or "last" in f.args


def _page_size(f: Field) -> int:
    size = f.args.get("first") if f.args.get("first") is not None else f.args.get("last")
    return int(size or 0)


def requested_cost(fields: list[Field]) -> int:
    """Shopify's static cost: objects 1, scalars 0, connections 2 + size x node cost."""
    total = 0
    for f in fields:
        if f.children is None:
            continue
        if f.name is None:
            total += requested_cost(f.children)
        elif _is_connection(f):
            total += 2 + _page_size(f) * _node_cost(f.children)
        elif isinstance(f.args.get("ids"), list):
            total += len(f.args["ids"]) * (1 + requested_cost(f.children))
        else:
            total += 1 + requested_cost(f.children)
    return total


def _node_cost(children: list[Field]) -> int:
    cost = 0
    for c in children:
        if c.name == "nodes":
            cost += 1 + requested_cost(c.children or [])
        elif c.name == "edges":
            for sub in c.children or []:
                if sub.name == "node":
                    cost += 1 + requested_cost(sub.children or [])
    return cost


def actual_cost(fields: list[Field], data: dict | None) -> int:
    """The cost of what was returned: nulls and missing connection items cost nothing."""
    if not isinstance(data, dict):
        return 0
    total = 0
    for f in fields:
        if f.children is None:
            continue
        if f.name is None:
            total += actual_cost(f.children, data)
            continue
        value = data.get(f.key)
        if value is None:
            continue
        if _is_connection(f) and isinstance(value, dict):
            total += 2 + _returned_nodes_cost(f.children, value)
        elif isinstance(value, list):
            total += sum(1 + actual_cost(f.children, v) for v in value if v is not None)
        else:
            total += 1 + actual_cost(f.children, value)
    return total


def _returned_nodes_cost(children: list[Field], value: dict) -> int:
    cost = 0
    for c in children:
        if c.name == "nodes":
            cost += sum(1 + actual_cost(c.children or [], n) for n in value.get(c.key) or [])
        elif c.name == "edges":
            for edge in value.get(c.key) or []:
                for sub in c.children or []:
                    if sub.name == "node":
                        cost += 1 + actual_cost(sub.children or [], edge.get(sub.key))
    return cost
