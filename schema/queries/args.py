"""Argument annotations shared by every list field, so their descriptions read the same everywhere."""

from typing import Annotated

import strawberry

from schema.scalars import PageSize

First = Annotated[PageSize, strawberry.argument(description="Page size, at most 100.")]
Skip = Annotated[
    int, strawberry.argument(description="Rows to skip, in the list's stable order (created time, then id).")
]
After = Annotated[
    str | None,
    strawberry.argument(description="Cursor from `pageInfo.endCursor` of the previous page; omit for the first page."),
]
