"""Statements built once per shape of request, then executed with each request's values.

Building a statement (filter compilers, visibility, the JSON around it) and computing its cache key
costs more Python than the rest of a small planned request. Most requests differ from the previous
ones only in ids and page bounds: `asset(id: $id)`, the same page of another project, the next
`skip`. So those values are made parameters:

- `parameterize` replaces, in the coerced arguments, every string under a key named `id` and the
  `first`/`skip` numbers by sentinels, and the viewer's user and organization ids too;
- the statement is built once from those sentinels (`prepare`) and compiled, and each bind parameter
  whose value is a sentinel becomes a slot for the request's value;
- later requests of the same shape (the same plan, the same arguments once parameterized, the same
  kind of viewer, the same indexed metadata keys) execute that same statement object with their
  values in those slots (SQLAlchemy keeps its compiled form and cache key with it).

A sentinel that does not come out as a bind parameter of its own (a value the compilers transform,
test or put in a list) makes the shape unpreparable: such requests are built every time, as before.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Dialect, Select
from sqlalchemy.sql.compiler import SQLCompiler

from gateway.auth import Viewer

# Unguessable per process, so no client value can pass for a sentinel.
_TOKEN = secrets.token_hex(8)
_INT_BASE = 2**62 + secrets.randbelow(2**40)
PARAMETER_KEYS = ("first", "skip")


@dataclass
class Parameters:
    """The values of one request, in the order `parameterize` met them, and their sentinels."""

    values: list[Any]
    sentinels: list[Any]

    def add(self, value: Any) -> Any:
        index = len(self.values)
        self.values.append(value)
        sentinel = f"{_TOKEN}:{index}" if isinstance(value, str) else _INT_BASE + index
        self.sentinels.append(sentinel)
        return sentinel


def parameterize(arguments: dict[str, Any], parameters: Parameters) -> dict[str, Any]:
    """The root field's coerced arguments with ids and page bounds replaced by sentinels."""
    shaped = {}
    for key, value in arguments.items():
        if key in PARAMETER_KEYS and isinstance(value, int) and not isinstance(value, bool):
            shaped[key] = parameters.add(value)
        else:
            shaped[key] = _parameterize_value(key, value, parameters)
    return shaped


def _parameterize_value(key: str, value: Any, parameters: Parameters) -> Any:
    if isinstance(value, dict):
        return {k: _parameterize_value(k, v, parameters) for k, v in value.items()}
    if key == "id" and isinstance(value, str):
        return parameters.add(value)
    return value


# What a viewer's email and key id become while a statement is prepared: visibility reads neither,
# and a statement that did would hold another viewer's, so `prepare` refuses it.
_NOT_IN_STATEMENTS = f"{_TOKEN}:viewer"


def viewer_parameters(viewer: Viewer, parameters: Parameters) -> Viewer:
    """The viewer whose user id is a sentinel; the shape's key holds what else visibility reads
    (the organization and whether the viewer administers it: `viewer_shape`)."""
    return replace(
        viewer, user_id=parameters.add(viewer.user_id), email=_NOT_IN_STATEMENTS, api_key_id=_NOT_IN_STATEMENTS
    )


def viewer_shape(viewer: Viewer) -> tuple[str, bool]:
    return viewer.organization_id, viewer.is_org_admin


@dataclass(frozen=True)
class DriverForm:
    """A prepared statement as asyncpg takes it (`gateway.db.driver`): the SQL text SQLAlchemy
    compiled, and per `$n` either a constant (already through its type's bind processor) or the
    index of the request value that goes there (and its processor, if any)."""

    sql: str
    positions: tuple[tuple[int | None, Any, Callable[[Any], Any] | None], ...]  # (value index, constant, processor)

    def arguments(self, values: list[Any]) -> list[Any]:
        arguments = []
        for index, constant, processor in self.positions:
            if index is None:
                arguments.append(constant)
            else:
                value = values[index]
                arguments.append(value if processor is None else processor(value))
        return arguments


@dataclass(frozen=True)
class PreparedStatement:
    """A statement built from sentinels; `slots` maps its bind parameter names to value indexes.
    `driver` is its compiled form for asyncpg, None when it has none (`_driver_form`)."""

    statement: Select
    slots: dict[str, int]
    driver: DriverForm | None

    def parameters(self, values: list[Any]) -> dict[str, Any]:
        return {name: values[index] for name, index in self.slots.items()}


def prepare(build: Callable[[], Select], parameters: Parameters, dialect: Dialect) -> PreparedStatement | None:
    """The statement `build` makes from the sentinels, with a slot for each; None when some sentinel
    is not a bind parameter of its own."""
    statement = build()
    compiled = statement.compile(dialect=dialect)
    index_of = {sentinel: index for index, sentinel in enumerate(parameters.sentinels)}
    slots = {}
    for bind, name in compiled.bind_names.items():
        value = bind.value
        if value == _NOT_IN_STATEMENTS:
            return None
        if isinstance(value, str | int) and not isinstance(value, bool) and value in index_of:
            slots[name] = index_of[value]
    if set(slots.values()) != set(index_of.values()):
        return None
    return PreparedStatement(statement, slots, _driver_form(compiled, slots, dialect))


def _driver_form(compiled: SQLCompiler, slots: dict[str, int], dialect: Dialect) -> DriverForm | None:
    """The compiled statement for asyncpg, when its text is final: None for a dialect whose
    parameters are not asyncpg's `$n`, and for parameters expanded at execution (`IN` lists)."""
    if dialect.paramstyle != "numeric_dollar" or compiled.positiontup is None or compiled.post_compile_params:
        return None
    binds = compiled.binds
    positions = []
    for name in compiled.positiontup:
        bind = binds[name]
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in slots:
            positions.append((slots[name], None, processor))
        else:
            value = bind.effective_value
            positions.append((None, value if processor is None else processor(value), None))
    return DriverForm(compiled.string, tuple(positions))
