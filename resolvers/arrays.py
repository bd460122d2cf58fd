"""Lists of values as array parameters: `column = ANY($1)`, and tables (`unnest` of arrays) to join on,
instead of `IN (...)` and `VALUES (...)` lists.

An expanded list takes one bind parameter per item, and PostgreSQL (asyncpg) takes at most 32,767
parameters a statement: an `idIn` of 40,000 ids failed outright. It also plans badly: `column IN
(v1, ..., v100)` on mid-sized tables often scans the table, and once a prepared statement switches to
its generic plan it compares every row with each of the values in turn (the list is no longer a
constant it can hash), which grows to tens of milliseconds per statement at a few thousand rows.
One array parameter per list has neither problem: index probes on big tables, a hash join on small
ones, and the same statement text whatever the list's length. Every list a client sends goes this way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, TableValuedAlias, all_, any_, func, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine


def values_table(
    name: str, types: Mapping[str, TypeEngine] | None = None, **columns: Sequence[Any]
) -> TableValuedAlias:
    """`unnest($1::varchar[], ...) AS name(column, ...)`: row i holds item i of each list. Columns are
    text unless `types` says otherwise (e.g. `{"lo": BigInteger()}`)."""
    types = types or {}
    arrays = [literal(list(values), ARRAY(types.get(name_, String()))) for name_, values in columns.items()]
    return func.unnest(*arrays).table_valued(*columns).render_derived(name=name)


def any_id(column: Any, ids: Iterable[str]) -> ColumnElement[bool]:
    """`column = ANY($1::varchar[])`: one array parameter however many ids (or other text values),
    and an index probe per id even under a generic plan. An empty list matches nothing."""
    return column == any_(literal(list(ids), ARRAY(String)))


def no_id(column: Any, ids: Iterable[str]) -> ColumnElement[bool]:
    """`column <> ALL($1::varchar[])`: `NOT IN` with one array parameter. An empty list excludes nothing."""
    return column != all_(literal(list(ids), ARRAY(String)))
