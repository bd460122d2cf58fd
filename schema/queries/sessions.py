"""Root fields: sessions."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import sessions
from schema.inputs.where import SessionWhere
from schema.queries.args import FIRST_DEFAULT, SKIP_DEFAULT, After, First, Skip, everything
from schema.types.page import split_page
from schema.types.session import Session, SessionConnection

Where = Annotated[SessionWhere, strawberry.argument(description="Which sessions; `{}` for all the viewer may see.")]
ALL = everything(SessionWhere)


@strawberry.type
class SessionQueries:
    @strawberry.field(description="Sessions the viewer may see, oldest first.")
    async def sessions(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, skip: Skip = SKIP_DEFAULT
    ) -> list[Session]:
        return [Session.from_row(r) for r in await sessions.list_sessions(info.context, where, first, skip)]

    @strawberry.field(description="Number of sessions `sessions` would list for the same `where`.")
    async def count_sessions(self, info: strawberry.Info, where: Where = ALL) -> int:
        return await sessions.count_sessions(info.context, where)

    @strawberry.field(description="Sessions as a keyset page (for UIs that page deep).")
    async def sessions_connection(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, after: After = None
    ) -> SessionConnection:
        page, page_info = split_page(await sessions.page_sessions(info.context, where, first, after), first, after)
        return SessionConnection(nodes=[Session.from_row(r) for r in page], page_info=page_info)

    @strawberry.field(name="session", description="One session by id; NOT_FOUND if there is none the viewer may see.")
    async def session_by_id(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description="Session id.")]
    ) -> Session:
        return Session.from_row(await sessions.get_session(info.context, id))
