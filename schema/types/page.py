"""Keyset pagination info shared by every `*Connection` type."""

import strawberry

from resolvers.paging import encode_cursor


@strawberry.type(description="Where a keyset page ends, and whether more rows follow.")
class PageInfo:
    end_cursor: str | None = strawberry.field(
        description="Cursor of the page's last row: pass it as `after` to get the next page. Null on an empty page."
    )
    has_next_page: bool = strawberry.field(description="True when rows follow this page.")


def split_page(rows: list, first: int) -> tuple[list, PageInfo]:
    """Rows fetched by `resolvers.paging.keyset_page` (first + 1 of them) → the page and its PageInfo.
    Each row needs `created_at` and `id`."""
    page = rows[:first]
    end = encode_cursor(page[-1].created_at, page[-1].id) if page else None
    return page, PageInfo(end_cursor=end, has_next_page=len(rows) > first)
