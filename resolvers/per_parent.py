"""Per-parent paging in one statement, for relation fields such as `Set.assets(first, skip)`.

A DataLoader batches keys `(parent id, first, skip, variant)`. All keys go to PostgreSQL as one
table of arrays (`unnest`); each key is its own window partition, numbered by ROW_NUMBER() in the
relation's order, and only the rows inside the key's window come back. So one statement answers any number
of parents, even when aliases ask the same parent for different pages or filters (variants).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, FromClause, Integer, Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from gateway.context import RequestContext
from resolvers.arrays import values_table


@dataclass(frozen=True)
class PageKey:
    """One page of a parent's related rows: those numbered `skip < n <= skip + first`.
    `variant` names an extra filter (e.g. the event types asked for); None means none."""

    parent_id: str
    first: int
    skip: int
    variant: Hashable = None


async def load_pages(
    ctx: RequestContext,
    keys: Sequence[PageKey],
    entity: type,
    related: Callable[[FromClause], Select],
    order_by: Sequence[ColumnElement],
    variant_condition: Callable[[Any], ColumnElement[bool]] | None = None,
) -> list[list[Any]]:
    """The `entity` rows of each key's page, in `order_by` order.

    `related(page_keys)` selects `entity` rows joined to the keys table on `page_keys.c.parent_id`,
    with the viewer's visibility applied; `variant_condition(variant)` is a non-None variant's filter.
    """
    if not keys:
        return []
    variants = list(dict.fromkeys(key.variant for key in keys))
    # Arrays, not a VALUES list: five parameters per key would pass PostgreSQL's limit of 32,767 at
    # 6,554 parents. lo/hi are bigint: `skip` may be any non-negative Int, and skip + first beyond.
    page_keys = values_table(
        "page_keys",
        {"k": Integer(), "variant": Integer(), "lo": BigInteger(), "hi": BigInteger()},
        k=list(range(len(keys))),
        parent_id=[key.parent_id for key in keys],
        variant=[variants.index(key.variant) for key in keys],
        lo=[key.skip for key in keys],
        hi=[key.skip + key.first for key in keys],
    )
    statement = related(page_keys)
    filtered = [(i, variant) for i, variant in enumerate(variants) if variant is not None]
    if filtered:
        assert variant_condition is not None, "keys have variants but no variant_condition was given"
        statement = statement.where(
            or_(
                page_keys.c.variant.not_in([i for i, _ in filtered]),
                *[and_(page_keys.c.variant == i, variant_condition(variant)) for i, variant in filtered],
            )
        )
    number = func.row_number().over(partition_by=page_keys.c.k, order_by=list(order_by)).label("n")
    paged = statement.add_columns(page_keys.c.k, page_keys.c.lo, page_keys.c.hi, number).subquery("paged")
    row = aliased(entity, paged)
    rows = await ctx.execute(
        select(paged.c.k, row).where(paged.c.n > paged.c.lo, paged.c.n <= paged.c.hi).order_by(paged.c.k, paged.c.n)
    )
    pages: list[list[Any]] = [[] for _ in keys]
    for k, item in rows.all():
        pages[k].append(item)
    return pages
