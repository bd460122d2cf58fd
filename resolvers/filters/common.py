"""Small pieces every filter compiler uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, true

from resolvers.filters.values import lower_bound, upper_bound


def all_of(conditions: Iterable[ColumnElement[bool] | None]) -> ColumnElement[bool]:
    present = [c for c in conditions if c is not None]
    return and_(true(), *present) if present else true()


def in_list(column: Any, values: list[Any] | None) -> ColumnElement[bool] | None:
    """`column IN values`; None means no filter, an empty list matches nothing."""
    if values is None:
        return None
    return column.in_([getattr(v, "value", v) for v in values])


def not_in_list(column: Any, values: list[Any] | None) -> ColumnElement[bool] | None:
    if not values:
        return None
    return column.not_in([getattr(v, "value", v) for v in values])


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
