"""Custom scalars: `PageSize` (Kili's page size, at most 100) and `JSON` (free-form filter values).

Annotate with the NewTypes below; `SCALAR_MAP` (given to the Schema's config) defines them."""

from __future__ import annotations

from typing import Any, NewType

import strawberry

from gateway.settings import get_settings
from resolvers.json_strings import json_value_problem

PageSize = NewType("PageSize", int)
JSON = NewType("JSON", object)


def _parse_page_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("PageSize must be an integer.")
    limit = get_settings().max_page_size
    if value < 0 or value > limit:
        raise ValueError(f"PageSize must be between 0 and {limit}, got {value}.")
    return value


def _parse_json(value: Any) -> Any:
    """Any JSON value PostgreSQL's jsonb can take: Python-made bodies may carry NaN or Infinity, and
    nesting is limited (resolvers/json_strings.py)."""
    problem = json_value_problem(value, nul=False)  # NUL: schema/input_checks.py names the argument
    if problem is not None:
        raise ValueError(problem)
    return value


SCALAR_MAP = {
    PageSize: strawberry.scalar(
        name="PageSize",
        description="Number of items in a page: an integer from 0 to 100. "
        "Kili SDK documents declare `$first: PageSize!`.",
        serialize=int,
        parse_value=_parse_page_size,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description="Any JSON value (used by free-form filters such as `AssetWhere.metadata`).",
        serialize=lambda v: v,
        parse_value=_parse_json,
    ),
}
