"""Root fields: session events across sessions, with a time-window filter."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import session_events
from schema.inputs.session_events import SessionEventWhere
from schema.queries.args import FIRST_DEFAULT, SKIP_DEFAULT, First, Skip, everything
from schema.types.session import SessionEvent

Where = Annotated[SessionEventWhere, strawberry.argument(description="Which events; `{}` for all the viewer may see.")]
ALL = everything(SessionEventWhere)


@strawberry.type
class SessionEventQueries:
    @strawberry.field(description="Session events the viewer may see, by start time (then id).")
    async def session_events(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, skip: Skip = SKIP_DEFAULT
    ) -> list[SessionEvent]:
        return [
            SessionEvent.from_row(r) for r in await session_events.list_session_events(info.context, where, first, skip)
        ]

    @strawberry.field(description="Number of events `sessionEvents` would list for the same `where`.")
    async def count_session_events(self, info: strawberry.Info, where: Where = ALL) -> int:
        return await session_events.count_session_events(info.context, where)
