"""Root fields: sets."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import sets
from schema.inputs.where import SetWhere
from schema.queries.args import FIRST_DEFAULT, SKIP_DEFAULT, After, First, Skip, everything
from schema.types.page import split_page
from schema.types.set import Set, SetConnection

Where = Annotated[SetWhere, strawberry.argument(description="Which sets; `{}` for all the viewer may see.")]
ALL = everything(SetWhere)


@strawberry.type
class SetQueries:
    @strawberry.field(description="Sets the viewer may see, oldest first.")
    async def sets(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, skip: Skip = SKIP_DEFAULT
    ) -> list[Set]:
        return [Set.from_row(r) for r in await sets.list_sets(info.context, where, first, skip)]

    @strawberry.field(description="Number of sets `sets` would list for the same `where`.")
    async def count_sets(self, info: strawberry.Info, where: Where = ALL) -> int:
        return await sets.count_sets(info.context, where)

    @strawberry.field(description="Sets as a keyset page (for UIs that page deep).")
    async def sets_connection(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, after: After = None
    ) -> SetConnection:
        page, page_info = split_page(await sets.page_sets(info.context, where, first, after), first, after)
        return SetConnection(nodes=[Set.from_row(r) for r in page], page_info=page_info)

    @strawberry.field(name="set", description="One set by id; NOT_FOUND if there is none the viewer may see.")
    async def set_by_id(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description="Set id.")]
    ) -> Set:
        return Set.from_row(await sets.get_set(info.context, id))
