"""Creating, changing, slicing and deleting sessions (SceneBox recordings).

Every change to an existing session runs in one transaction that first locks the session row (FOR
UPDATE), then checks the viewer's role in its project (MUTATION_ROLES: TEAM_MANAGER curates
sessions) and that the project is not archived (LOCKED). Names are unique within a project: the
database constraint decides, and its violation is answered CONFLICT.

A slice is a child session over a window of a recording: `originSessionId` names the recording, its
span is the window ∩ the recording's span, and its assets are the recording's assets whose timestamp
falls inside the slice's span (an asset sits in one session only, so a slice does not own assets; see
`resolvers.sessions.on_timeline_of`); the events that overlap its span are copied to it, clipped to
the span. Slicing a slice slices the same recording: the child's origin is
the recording, its span is the window ∩ the sliced slice's span.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, String, case, cast, delete, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from gateway.context import RequestContext
from gateway.db.models import Asset, Session, SessionEvent, utcnow
from gateway.errors import BadUserInput, Conflict
from resolvers.archive import require_writable
from resolvers.filters.values import parse_time
from resolvers.json_strings import parse_json_object
from resolvers.roles import minimum_role, require_role
from resolvers.row_locks import lock_for_write
from resolvers.transactions import write_transaction
from resolvers.workflow import Outcome, delete_locked_assets, lock_matched_assets
from schema.inputs.data import CreateSessionData, UpdateSessionData
from schema.inputs.where import AssetWhere

CURATE = "curate sessions"


def _instant(value: str, field: str) -> datetime:
    return parse_time(value, field)[0]


def _check_span(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start > end:
        raise BadUserInput(f"startTime ({start.isoformat()}) is after endTime ({end.isoformat()}).")


def _check_resolution(resolution: float | None) -> None:
    if resolution is not None and not resolution > 0:
        raise BadUserInput(f"resolution must be > 0 seconds, got {resolution}.")


def _check_name(name: str) -> str:
    if not name.strip():
        raise BadUserInput("name must not be empty.")
    return name


async def _flush_named(ctx: RequestContext, project_id: str, name: str, session_id: str | None = None) -> None:
    """Flushes pending session writes; CONFLICT when the name (or a client-chosen id) is taken."""
    try:
        async with ctx.db_lock:
            await ctx.db.flush()
    except IntegrityError as exc:
        id_taken = f", or the session id '{session_id}' is taken" if session_id else ""
        raise Conflict(
            f"Project '{project_id}' already has a session named '{name}'{id_taken}.",
            details={"projectId": project_id, "name": name},
        ) from exc


async def _writable_project(ctx: RequestContext, project_id: str, mutation: str) -> None:
    await require_role(ctx, [project_id], minimum_role(mutation), CURATE)
    await require_writable(ctx, [project_id])


async def _lock_session(ctx: RequestContext, session_id: str, mutation: str) -> Session:
    """The session, locked until the transaction ends, once the viewer may curate it. NOT_FOUND when
    the viewer may not see it, FORBIDDEN below the role, LOCKED when its project is archived."""
    return await lock_for_write(ctx, Session, session_id, minimum_role(mutation), CURATE)


async def create_session(ctx: RequestContext, data: CreateSessionData) -> Session:
    """A new session (SceneBox `add_session`); CONFLICT when the project has one of that name."""
    start = _instant(data.start_time, "startTime") if data.start_time is not None else None
    end = _instant(data.end_time, "endTime") if data.end_time is not None else None
    _check_span(start, end)
    _check_resolution(data.resolution)
    now = utcnow()
    session = Session(
        project_id=data.project_id,
        name=_check_name(data.name),
        session_type=data.session_type,
        status=data.status,
        start_time=start,
        end_time=end,
        resolution=data.resolution,
        aux_metadata=parse_json_object(data.json_aux_metadata, "jsonAuxMetadata", null_ok=True) or {},
        created_at=now,
        updated_at=now,
    )
    if data.id is not None:
        session.id = data.id
    async with write_transaction(ctx):
        await _writable_project(ctx, data.project_id, "createSession")
        async with ctx.db_lock:
            ctx.db.add(session)
        await _flush_named(ctx, data.project_id, session.name, str(data.id) if data.id is not None else None)
    return session


async def update_session(ctx: RequestContext, session_id: str, data: UpdateSessionData) -> Session:
    """Writes the fields given (SceneBox `update_time_span` is startTime/endTime); the resulting span
    must have startTime ≤ endTime."""
    changes: dict[str, Any] = {
        "name": _check_name(data.name) if data.name is not None else None,
        "session_type": data.session_type,
        "status": data.status,
        "resolution": data.resolution,
        "start_time": _instant(data.start_time, "startTime") if data.start_time is not None else None,
        "end_time": _instant(data.end_time, "endTime") if data.end_time is not None else None,
    }
    changes = {column: value for column, value in changes.items() if value is not None}
    if data.json_aux_metadata is not None:
        changes["aux_metadata"] = parse_json_object(data.json_aux_metadata, "jsonAuxMetadata")
    _check_resolution(data.resolution)
    async with write_transaction(ctx):
        session = await _lock_session(ctx, session_id, "updateSession")
        _check_span(changes.get("start_time", session.start_time), changes.get("end_time", session.end_time))
        changed = {column: value for column, value in changes.items() if getattr(session, column) != value}
        if changed:
            async with ctx.db_lock:
                for column, value in changed.items():
                    setattr(session, column, value)
                session.updated_at = utcnow()
            await _flush_named(ctx, session.project_id, session.name)
    return session


def widened(session: Session, instants: Sequence[datetime]) -> tuple[datetime | None, datetime | None]:
    """The span that covers the session's span and these instants."""
    points = [*instants, *(t for t in (session.start_time, session.end_time) if t is not None)]
    if not points:
        return None, None
    return min(points), max(points)


async def extend_time_span(ctx: RequestContext, session_id: str, timestamps: list[str]) -> Session:
    """SceneBox `extend_time_span`: the span becomes min/max of the current span and the timestamps."""
    instants = [_instant(value, f"timestamps[{i}]") for i, value in enumerate(timestamps)]
    async with write_transaction(ctx):
        session = await _lock_session(ctx, session_id, "extendSessionTimeSpan")
        start, end = widened(session, instants)
        if (start, end) != (session.start_time, session.end_time):
            async with ctx.db_lock:
                session.start_time, session.end_time = start, end
                session.updated_at = utcnow()
                await ctx.db.flush()
    return session


async def slice_session(
    ctx: RequestContext, session_id: str, start_time: str, end_time: str, name: str | None
) -> Session:
    """SceneBox `slice_session`: a child session over [startTime, endTime] ∩ the sliced session's span.
    BAD_USER_INPUT when the window is reversed or misses the span; CONFLICT when the name is taken."""
    window_start, window_end = _instant(start_time, "startTime"), _instant(end_time, "endTime")
    _check_span(window_start, window_end)
    async with write_transaction(ctx):
        parent = await _lock_session(ctx, session_id, "sliceSession")
        start = max(window_start, parent.start_time) if parent.start_time else window_start
        end = min(window_end, parent.end_time) if parent.end_time else window_end
        if start > end:
            raise BadUserInput(
                f"The window {start_time} – {end_time} does not overlap the span of session '{session_id}'."
            )
        now = utcnow()
        child = Session(
            project_id=parent.project_id,
            name=_check_name(name) if name is not None else f"{parent.name} [{start.isoformat()} – {end.isoformat()}]",
            session_type=parent.session_type,
            status=parent.status,
            start_time=start,
            end_time=end,
            resolution=parent.resolution,
            aux_metadata=dict(parent.aux_metadata or {}),
            origin_session_id=parent.origin_session_id or parent.id,
            created_at=now,
            updated_at=now,
        )
        async with ctx.db_lock:
            ctx.db.add(child)
        await _flush_named(ctx, parent.project_id, child.name)
        await ctx.execute(_copy_events(parent.id, child.id, start, end))
    return child


def _copy_events(source_id: str, target_id: str, start: datetime, end: datetime) -> Insert:
    """Copies the source session's events that overlap [start, end] to the target, clipped to it.
    One INSERT ... SELECT; ids are made in SQL (cuid-shaped: 'c' and 24 random hex digits)."""
    event_end = func.coalesce(SessionEvent.end_time, SessionEvent.start_time)
    new_ids = literal("c") + func.left(func.replace(cast(func.gen_random_uuid(), String), "-", ""), 24)
    copied = select(
        new_ids,
        literal(target_id),
        SessionEvent.event_type,
        SessionEvent.name,
        func.greatest(SessionEvent.start_time, start),
        case((SessionEvent.end_time.is_(None), None), else_=func.least(SessionEvent.end_time, end)),
        SessionEvent.value,
        SessionEvent.state,
        SessionEvent.latitude,
        SessionEvent.longitude,
        SessionEvent.comment,
        SessionEvent.aux_metadata,
        func.now(),
    ).where(SessionEvent.session_id == source_id, SessionEvent.start_time <= end, event_end >= start)
    columns = [
        "id",
        "session_id",
        "event_type",
        "name",
        "start_time",
        "end_time",
        "value",
        "state",
        "latitude",
        "longitude",
        "comment",
        "aux_metadata",
        "created_at",
    ]
    return insert(SessionEvent).from_select(columns, copied)


async def delete_session(ctx: RequestContext, session_id: str, delete_assets: bool) -> Outcome:
    """SceneBox `delete_session`: deletes the session, its events and its slices. Its own assets are
    deleted with their labels and stored objects (`deleteAssets`, the deleteAssets machinery) or
    detached (sessionId becomes null; timestamp and sensor stay). A slice owns no assets: deleting
    one never touches assets. `succeeded` lists the assets deleted or detached."""
    async with write_transaction(ctx) as tx:
        session = await _lock_session(ctx, session_id, "deleteSession")
        assets = []
        if session.origin_session_id is None:
            assets = await lock_matched_assets(ctx, AssetWhere(session_id_in=[session.id]))
            if delete_assets:
                await delete_locked_assets(ctx, tx, assets)
            elif assets:
                await ctx.execute(
                    update(Asset)
                    .where(Asset.session_id == session.id)
                    .values(session_id=None, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
        await ctx.execute(
            delete(Session)
            .where(or_(Session.id == session.id, Session.origin_session_id == session.id))
            .execution_options(synchronize_session=False)
        )
    return Outcome(
        succeeded=[a.key for a in assets], declined=[], changed_projects={a.id: a.project_id for a in assets}
    )
