"""Root mutation fields: sessions (SceneBox recordings) and their time span."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import session_writes
from resolvers.roles import described
from schema.inputs.data import CreateSessionData, UpdateSessionData
from schema.mutations.workflow import outcome_of
from schema.types.outcome import AssetActionOutcome
from schema.types.session import Session

SessionId = Annotated[strawberry.ID, strawberry.argument(description="The session.")]


@strawberry.type
class SessionMutations:
    @strawberry.mutation(
        description=described(
            "createSession",
            "Creates a session (SceneBox `add_session`). BAD_USER_INPUT when startTime is after endTime or "
            "resolution is not > 0; CONFLICT when the project already has a session of that name.",
        )
    )
    async def create_session(
        self, info: strawberry.Info, data: Annotated[CreateSessionData, strawberry.argument(description="The session.")]
    ) -> Session:
        return Session.from_row(await session_writes.create_session(info.context, data))

    @strawberry.mutation(
        description=described(
            "updateSession",
            "Changes a session's name, type, status, resolution, span (SceneBox `update_time_span`) or auxiliary "
            "metadata: only the fields given are written; the resulting span needs startTime ≤ endTime.",
        )
    )
    async def update_session(
        self,
        info: strawberry.Info,
        id: SessionId,
        data: Annotated[UpdateSessionData, strawberry.argument(description="The changes.")],
    ) -> Session:
        return Session.from_row(await session_writes.update_session(info.context, id, data))

    @strawberry.mutation(
        description=described(
            "extendSessionTimeSpan",
            "Widens a session's span to cover these timestamps (SceneBox `extend_time_span`): the span becomes "
            "the earliest and latest of its current bounds and the timestamps.",
        )
    )
    async def extend_session_time_span(
        self,
        info: strawberry.Info,
        id: SessionId,
        timestamps: Annotated[list[str], strawberry.argument(description="Instants to cover, ISO-8601.")],
    ) -> Session:
        return Session.from_row(await session_writes.extend_time_span(info.context, id, timestamps))

    @strawberry.mutation(
        description=described(
            "sliceSession",
            "Creates a slice of a session (SceneBox `slice_session`): a child session with `originSessionId` "
            "and span window ∩ the session's span, whose assets are the recording's assets inside that span; the "
            "events overlapping the span are copied to it, clipped. "
            "Slicing a slice slices the same recording. BAD_USER_INPUT when the window misses the span.",
        )
    )
    async def slice_session(
        self,
        info: strawberry.Info,
        id: SessionId,
        start_time: Annotated[str, strawberry.argument(description="Start of the window, ISO-8601.")],
        end_time: Annotated[str, strawberry.argument(description="End of the window, ISO-8601.")],
        name: Annotated[
            str | None,
            strawberry.argument(description="The slice's name (default: the session's name and the span)."),
        ] = None,
    ) -> Session:
        return Session.from_row(await session_writes.slice_session(info.context, id, start_time, end_time, name))

    @strawberry.mutation(
        description=described(
            "deleteSession",
            "Deletes a session with its events and slices (SceneBox `delete_session`). Its assets are deleted "
            "with their labels and stored objects, as deleteAssets does, or, with `deleteAssets: false`, "
            "detached (sessionId null). A slice owns no assets: deleting one leaves them. `succeeded` lists the "
            "assets deleted or detached.",
        )
    )
    async def delete_session(
        self,
        info: strawberry.Info,
        id: SessionId,
        delete_assets: Annotated[
            bool, strawberry.argument(description="Delete the session's assets (true) or detach them (false).")
        ] = True,
    ) -> AssetActionOutcome:
        return outcome_of(await session_writes.delete_session(info.context, id, delete_assets))
