"""Lists of values as a table (`unnest` of array parameters), to join on instead of `IN (...)`.

`column IN (v1, ..., v100)` is planned badly on mid-sized tables: PostgreSQL often scans the table,
and once a prepared statement switches to its generic plan it compares every row with each of the
values in turn (the list is no longer a constant it can hash), which grows to tens of milliseconds
per statement at a few thousand rows. Joining `unnest($1::varchar[])` instead gives index probes on
big tables and a hash join on small ones, with one array parameter whatever the list's length.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, TableValuedAlias, any_, func, literal
from sqlalchemy.dialects.postgresql import ARRAY


def values_table(name: str, **columns: Sequence[str]) -> TableValuedAlias:
    """`unnest($1::varchar[], ...) AS name(column, ...)`: row i holds item i of each list."""
    arrays = [literal(list(values), ARRAY(String)) for values in columns.values()]
    return func.unnest(*arrays).table_valued(*columns).render_derived(name=name)


def any_id(column: Any, ids: Iterable[str]) -> ColumnElement[bool]:
    """`column = ANY($1::varchar[])`: one array parameter however many ids, and an index probe per id
    even under a generic plan (an `IN` list takes one parameter each and plans badly, see above)."""
    return column == any_(literal(list(ids), ARRAY(String)))
