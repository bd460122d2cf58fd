"""Argument annotations shared by every list field (root lists and relations such as `Set.assets`),
so they read the same everywhere. `first` is a PageSize (0 to 100); `skip` stays an `Int`, which is
what the Kili SDK declares (`$skip: Int!`): its rule (0 or more) is enforced for every field at once
by schema/input_checks.py."""

from typing import Annotated

import strawberry

from schema.scalars import PageSize

First = Annotated[PageSize, strawberry.argument(description="Page size, at most 100.")]
Skip = Annotated[int, strawberry.argument(description="Rows to skip (0 or more), in the list's stable order.")]
After = Annotated[
    str | None,
    strawberry.argument(description="Cursor from `pageInfo.endCursor` of the previous page; omit for the first page."),
]
