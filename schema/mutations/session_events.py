"""Root mutation fields: session events (SceneBox's add_event_interval(s), add_point_events,
add_scalar_measurements, add_comments, add_geolocation_entity)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import session_events
from resolvers.roles import described
from schema.inputs.session_events import SessionEventInput, SessionEventWhere
from schema.types.session import SessionEvent

SessionId = Annotated[strawberry.ID, strawberry.argument(description="The session the events belong to.")]


@strawberry.type
class SessionEventMutations:
    @strawberry.mutation(
        description=described(
            "appendSessionEvents",
            "Appends events to a session's timeline, in one transaction, and returns them in input order: "
            "intervals with states, point events, scalar measurements, comments, geolocation. At most 10,000 a "
            "call; a refused event is named `events[i]` and nothing is written. An archived project is LOCKED.",
        )
    )
    async def append_session_events(
        self,
        info: strawberry.Info,
        session_id: SessionId,
        events: Annotated[list[SessionEventInput], strawberry.argument(description="The events, at most 10,000.")],
        extend_session: Annotated[
            bool,
            strawberry.argument(
                description="Events outside the session's span extend it; false: they are refused (BAD_USER_INPUT)."
            ),
        ] = True,
    ) -> list[SessionEvent]:
        rows = await session_events.append_session_events(info.context, session_id, events, extend_session)
        return [SessionEvent.from_row(r) for r in rows]

    @strawberry.mutation(
        description=described(
            "addSessionComments",
            "SceneBox's add_comments: one COMMENT event per comment over the segment [startTime, endTime], which "
            "extends the session's span if needed. Returns them in input order.",
        )
    )
    async def add_session_comments(
        self,
        info: strawberry.Info,
        session_id: SessionId,
        comments: Annotated[list[str], strawberry.argument(description="The comments, at most 10,000.")],
        start_time: Annotated[str, strawberry.argument(description="Start of the segment, ISO-8601.")],
        end_time: Annotated[str, strawberry.argument(description="End of the segment, ISO-8601.")],
    ) -> list[SessionEvent]:
        rows = await session_events.add_session_comments(info.context, session_id, comments, start_time, end_time)
        return [SessionEvent.from_row(r) for r in rows]

    @strawberry.mutation(
        description=described(
            "deleteSessionEvents",
            "Deletes the events `where` matches (the same filter as sessionEvents) and answers how many; an "
            "archived project is LOCKED.",
        )
    )
    async def delete_session_events(
        self,
        info: strawberry.Info,
        where: Annotated[SessionEventWhere, strawberry.argument(description="Which events; `{}` for all visible.")],
    ) -> int:
        return await session_events.delete_session_events(info.context, where)
