"""Keyset pagination info shared by every `*Connection` type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry

from resolvers.paging import PageBounds, Window, creation_order, split_window


@strawberry.type(description="Where a keyset page starts and ends, and whether rows lie beyond either end.")
class PageInfo:
    end_cursor: str | None = strawberry.field(
        description="Cursor of the page's last row: pass it as `after` to get the next page. Null on an empty page."
    )
    has_next_page: bool = strawberry.field(
        description="True when rows follow this page. Paging backward (`last`), true when the page ends "
        "before a cursor (`before`)."
    )
    start_cursor: str | None = strawberry.field(
        description="Cursor of the page's first row: pass it as `before` (with `last`) to get the previous page, "
        "where a connection pages backward. Null on an empty page."
    )
    has_previous_page: bool = strawberry.field(
        description="True when rows precede this page. Paging forward (`first`), true when the page starts "
        "after a cursor (`after`)."
    )

    @classmethod
    def from_bounds(cls, bounds: PageBounds) -> PageInfo:
        return cls(
            end_cursor=bounds.end_cursor,
            has_next_page=bounds.has_next_page,
            start_cursor=bounds.start_cursor,
            has_previous_page=bounds.has_previous_page,
        )


# Only its cursor encoding is used: rows already carry created_at and id.
_CREATION_CURSORS = creation_order(None, None)


def split_page(rows: Sequence[Any], first: int, after: str | None) -> tuple[list, PageInfo]:
    """Rows fetched by `resolvers.paging.keyset_page` (first + 1 of them, in creation order) → the page
    and its PageInfo. Each row needs `created_at` and `id`."""
    window = Window(first=first, after=after)
    page, bounds = split_window(rows, _CREATION_CURSORS, window, lambda row: (row.created_at, row.id))
    return page, PageInfo.from_bounds(bounds)
