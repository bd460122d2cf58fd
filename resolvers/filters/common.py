"""Small pieces every filter compiler uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, String, and_, any_, literal, true
from sqlalchemy.dialects.postgresql import ARRAY

from gateway.errors import BadUserInput
from resolvers.arrays import any_id, no_id
from resolvers.filters.values import lower_bound, upper_bound

MAX_SUBSTRINGS = 100


def all_of(conditions: Iterable[ColumnElement[bool] | None]) -> ColumnElement[bool]:
    present = [c for c in conditions if c is not None]
    return and_(true(), *present) if present else true()


def in_list(column: Any, values: list[Any] | None) -> ColumnElement[bool] | None:
    """`column = ANY(values)`, one array parameter (resolvers/arrays.py); None means no filter, an
    empty list matches nothing. Values are text (ids, enum values)."""
    if values is None:
        return None
    return any_id(column, [getattr(v, "value", v) for v in values])


def not_in_list(column: Any, values: list[Any] | None) -> ColumnElement[bool] | None:
    """`column <> ALL(values)`; None or an empty list excludes nothing."""
    if not values:
        return None
    return no_id(column, [getattr(v, "value", v) for v in values])


def contains_text(column: Any, fragment: str | None) -> ColumnElement[bool] | None:
    """Case-insensitive substring match in which `%` and `_` match themselves; None: no filter."""
    if fragment is None:
        return None
    return column.icontains(fragment, autoescape=True)


def contains_any_text(column: Any, fragments: list[str] | None, field: str) -> ColumnElement[bool] | None:
    """`column ILIKE ANY($1)`: contains any of the fragments (case-insensitive, `%`, `_` and `\\`
    match themselves), with one array parameter; an empty list matches nothing.

    No index serves a substring: every row is matched against every fragment (measured: 2 s for 100
    fragments over 40,000 assets, 24 s for 1,000), so a list holds at most MAX_SUBSTRINGS of them."""
    if fragments is None:
        return None
    if len(fragments) > MAX_SUBSTRINGS:
        raise BadUserInput(
            f"{field}: {len(fragments)} substrings, at most {MAX_SUBSTRINGS} (each is matched against every "
            "row); to match whole values, use the exact filter (e.g. externalIdStrictlyIn)."
        )
    patterns = ["%" + _escape_like(fragment) + "%" for fragment in fragments]
    return column.ilike(any_(literal(patterns, ARRAY(String))))


def _escape_like(fragment: str) -> str:
    """Backslash is PostgreSQL's default LIKE escape character."""
    return fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def time_range(column: Any, gte: str | None, lte: str | None, field: str) -> list[ColumnElement[bool]]:
    conditions = []
    if gte is not None:
        conditions.append(column >= lower_bound(gte, f"{field}Gte"))
    if lte is not None:
        bound, exclusive = upper_bound(lte, f"{field}Lte")
        conditions.append(column < bound if exclusive else column <= bound)
    return conditions


def number_range(column: Any, gte: float | None, lte: float | None) -> list[ColumnElement[bool]]:
    conditions = []
    if gte is not None:
        conditions.append(column >= gte)
    if lte is not None:
        conditions.append(column <= lte)
    return conditions
