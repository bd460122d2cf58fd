"""Session events (SceneBox's timeline entities): append, comment, delete, list, count, summarize and
resolve onto a timeline.

appendSessionEvents checks every event before anything is written (a batch with one bad event writes
nothing, and the error names it `events[i]`): INTERVAL needs endTime at or after startTime, SCALAR a
value, COMMENT a comment, GEOLOCATION a latitude and a longitude; coordinates must be in range; an
end never precedes its start. Events outside the session's span extend it (a session without a span
gets the events' span), unless `extendSession` is false: then they are refused (BAD_USER_INPUT).

Statements, whatever the number of events: the session (FOR UPDATE: concurrent appends extend its
span one after the other), roles, archive check, [the span UPDATE], one INSERT … SELECT FROM unnest(…)
(one array parameter per column, so 10,000 events stay far below PostgreSQL's 32,767 parameters).

Reads go through resolvers/filters/session_event_where.py, so that a list, its count, a delete,
a summary and a timeline agree on the events a window holds. Summaries and timelines are computed in
SQL when read (two statements per window for any number of sessions, through a DataLoader; one
statement per timeline).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    Float,
    FromClause,
    Integer,
    Select,
    String,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.exc import IntegrityError

from gateway.context import RequestContext
from gateway.db.ids import new_id
from gateway.db.models import Session, SessionEvent, utcnow
from gateway.errors import BadUserInput, Conflict
from resolvers.archive import require_writable
from resolvers.arrays import values_table
from resolvers.filters.session_event_where import compile_session_event_where, event_end, event_types_condition
from resolvers.filters.values import parse_time, upper_bound
from resolvers.json_strings import parse_json_object
from resolvers.paging import offset_page
from resolvers.per_parent import PageKey, load_pages
from resolvers.roles import minimum_role, require_role
from resolvers.row_locks import lock_for_write
from resolvers.transactions import write_transaction
from schema.inputs.session_events import SessionEventInput, SessionEventWhere

MAX_EVENTS_PER_CALL = 10_000
MAX_TIMELINE_SAMPLES = 10_000
ROLE_TO_WRITE = minimum_role("appendSessionEvents")


@dataclass(frozen=True)
class _NewEvent:
    id: str
    event_type: str
    name: str | None
    start_time: datetime
    end_time: datetime | None
    value: float | None
    state: str | None
    comment: str | None
    latitude: float | None
    longitude: float | None
    aux_metadata: dict[str, Any]

    @property
    def last_time(self) -> datetime:
        return self.end_time or self.start_time


def _parse(i: int, event: SessionEventInput) -> _NewEvent:
    where = f"events[{i}]"
    kind = event.event_type.value
    start = parse_time(event.start_time, f"{where}.startTime")[0]
    end = parse_time(event.end_time, f"{where}.endTime")[0] if event.end_time is not None else None
    if kind == "INTERVAL" and end is None:
        raise BadUserInput(f"{where}: an INTERVAL needs an endTime.")
    if end is not None and end < start:
        raise BadUserInput(f"{where}: endTime {event.end_time} is before startTime {event.start_time}.")
    if kind == "SCALAR" and event.value is None:
        raise BadUserInput(f"{where}: a SCALAR needs a value.")
    if kind == "COMMENT" and not event.comment:
        raise BadUserInput(f"{where}: a COMMENT needs a comment.")
    if kind == "GEOLOCATION" and (event.latitude is None or event.longitude is None):
        raise BadUserInput(f"{where}: a GEOLOCATION needs a latitude and a longitude.")
    if event.latitude is not None and not -90 <= event.latitude <= 90:
        raise BadUserInput(f"{where}: latitude {event.latitude} is outside -90..90.")
    if event.longitude is not None and not -180 <= event.longitude <= 180:
        raise BadUserInput(f"{where}: longitude {event.longitude} is outside -180..180.")
    metadata = parse_json_object(event.json_aux_metadata, f"{where}.jsonAuxMetadata", null_ok=True) or {}
    return _NewEvent(
        id=event.id or new_id(),
        event_type=kind,
        name=event.name,
        start_time=start,
        end_time=end,
        value=event.value,
        state=event.state,
        comment=event.comment,
        latitude=event.latitude,
        longitude=event.longitude,
        aux_metadata=metadata,
    )


async def _fit_span(ctx: RequestContext, session: Session, items: list[_NewEvent], extend: bool) -> None:
    first = min(item.start_time for item in items)
    last = max(item.last_time for item in items)
    start, end = session.start_time, session.end_time
    inside = start is not None and end is not None and start <= first and last <= end
    if inside:
        return
    if not extend:
        for i, item in enumerate(items):
            if start is None or end is None or item.start_time < start or item.last_time > end:
                span = f"{start.isoformat()} to {end.isoformat()}" if start and end else "no time span yet"
                raise BadUserInput(f"events[{i}] lies outside the session's span ({span}) and extendSession is false.")
    new_start = first if start is None else min(start, first)
    new_end = last if end is None else max(end, last)
    await ctx.execute(
        update(Session)
        .where(Session.id == session.id)
        .values(start_time=new_start, end_time=new_end, updated_at=utcnow())
    )


async def append_session_events(
    ctx: RequestContext, session_id: str, events: Sequence[SessionEventInput], extend_session: bool
) -> list[SessionEvent]:
    """The events, written in one transaction, in input order."""
    if len(events) > MAX_EVENTS_PER_CALL:
        raise BadUserInput(f"events holds {len(events)} events: at most {MAX_EVENTS_PER_CALL} a call.")
    items = [_parse(i, event) for i, event in enumerate(events)]
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            raise BadUserInput(f"events[{i}]: id '{item.id}' is also given to events[{seen[item.id]}].")
        seen[item.id] = i
    async with write_transaction(ctx):
        session = await lock_for_write(ctx, Session, session_id, ROLE_TO_WRITE, "append session events")
        if not items:
            return []
        await _fit_span(ctx, session, items, extend_session)
        rows = await _insert(ctx, session.id, items)
    by_id = {row.id: row for row in rows}
    return [by_id[item.id] for item in items]


async def _insert(ctx: RequestContext, session_id: str, items: list[_NewEvent]) -> list[SessionEvent]:
    """One INSERT … SELECT FROM unnest(…): created_at one microsecond apart in input order."""
    now = utcnow()
    time = DateTime(timezone=True)
    source = values_table(
        "new_event",
        {
            "start_time": time,
            "end_time": time,
            "value": Float(),
            "latitude": Float(),
            "longitude": Float(),
            "created_at": time,
        },
        id=[item.id for item in items],
        event_type=[item.event_type for item in items],
        event_name=[item.name for item in items],
        start_time=[item.start_time for item in items],
        end_time=[item.end_time for item in items],
        value=[item.value for item in items],
        state=[item.state for item in items],
        comment=[item.comment for item in items],
        latitude=[item.latitude for item in items],
        longitude=[item.longitude for item in items],
        aux_metadata=[json.dumps(item.aux_metadata) for item in items],
        created_at=[now + timedelta(microseconds=i) for i in range(len(items))],
    )
    columns = [
        "id",
        "event_type",
        "name",
        "start_time",
        "end_time",
        "value",
        "state",
        "comment",
        "latitude",
        "longitude",
        "created_at",
        "aux_metadata",
    ]
    source_column = {"name": "event_name"}  # `name` is values_table's own parameter
    selected = select(
        *[source.c[source_column.get(c, c)] for c in columns if c != "aux_metadata"],
        cast(source.c.aux_metadata, JSONB),
        literal(session_id, String()),
    )
    statement = insert(SessionEvent).from_select([*columns, "session_id"], selected).returning(SessionEvent)
    try:
        return list((await ctx.execute(statement)).scalars().all())
    except IntegrityError as exc:
        raise Conflict("An event id given is already taken; nothing was written.") from exc


async def add_session_comments(
    ctx: RequestContext, session_id: str, comments: Sequence[str], start_time: str, end_time: str
) -> list[SessionEvent]:
    """SceneBox's add_comments: each comment a COMMENT event over [startTime, endTime]."""
    for i, comment in enumerate(comments):
        if not comment:
            raise BadUserInput(f"comments[{i}] is empty.")
    from schema.types.session import SessionEventType  # noqa: PLC0415  (schema imports resolvers)

    events = [
        SessionEventInput(event_type=SessionEventType.COMMENT, start_time=start_time, end_time=end_time, comment=c)
        for c in comments
    ]
    return await append_session_events(ctx, session_id, events, True)


async def delete_session_events(ctx: RequestContext, where: SessionEventWhere) -> int:
    """Deletes the events `where` matches (TEAM_MANAGER in each of their projects); answers how many."""
    condition = compile_session_event_where(where, ctx.viewer)
    async with write_transaction(ctx):
        project_ids = await ctx.scalars(
            select(Session.project_id)
            .distinct()
            .where(Session.id.in_(select(SessionEvent.session_id).where(condition)))
        )
        if not project_ids:
            return 0
        await require_role(ctx, project_ids, minimum_role("deleteSessionEvents"), "delete session events")
        await require_writable(ctx, project_ids)
        result = await ctx.execute(delete(SessionEvent).where(condition))
        return int(result.rowcount)


async def list_session_events(
    ctx: RequestContext, where: SessionEventWhere, first: int, skip: int
) -> list[SessionEvent]:
    statement = select(SessionEvent).where(compile_session_event_where(where, ctx.viewer))
    return await ctx.scalars(offset_page(statement, SessionEvent.start_time, SessionEvent.id, first, skip))


async def count_session_events(ctx: RequestContext, where: SessionEventWhere) -> int:
    return await ctx.scalar(
        select(func.count()).select_from(SessionEvent).where(compile_session_event_where(where, ctx.viewer))
    )


async def event_pages_of_sessions(ctx: RequestContext, keys: Sequence[PageKey]) -> list[list[SessionEvent]]:
    """Each key's page of a session's events by start time, then id; a key's variant is a tuple of
    event types to keep (None: all). The same compiler as `sessionEvents`."""

    def events(page_keys: FromClause) -> Select:
        return (
            select(SessionEvent)
            .select_from(page_keys)
            .join(SessionEvent, SessionEvent.session_id == page_keys.c.parent_id)
            .where(compile_session_event_where(None, ctx.viewer))
        )

    return await load_pages(
        ctx,
        keys,
        SessionEvent,
        events,
        order_by=[SessionEvent.start_time, SessionEvent.id],
        variant_condition=event_types_condition,  # what SessionEventWhere.eventTypeIn compiles to
    )


@dataclass(frozen=True)
class NameSummary:
    name: str | None
    event_type: str
    count: int
    first_time: datetime
    last_time: datetime
    total_duration: float | None
    min: float | None
    max: float | None
    average: float | None
    sum: float | None
    states: list[tuple[str, int]]


def _window_where(
    session_ids: list[str], names: list[str] | None, start_time: str | None, end_time: str | None
) -> SessionEventWhere:
    return SessionEventWhere(session_id_in=session_ids, name_in=names, overlaps_start=start_time, overlaps_end=end_time)


@dataclass(frozen=True)
class SummaryKey:
    """One session's summary over one window (a DataLoader key: sessions asking for the same window
    and names are summed up together)."""

    session_id: str
    names: tuple[str, ...] | None
    start_time: str | None
    end_time: str | None


async def event_summaries(ctx: RequestContext, keys: Sequence[SummaryKey]) -> list[list[NameSummary]]:
    """Each key's summary, per name and event kind, over the events overlapping its window: two GROUP BY
    statements per distinct window and names, whatever the number of sessions."""
    found: dict[SummaryKey, list[NameSummary]] = {}
    windows: dict[tuple, list[str]] = {}
    for key in keys:
        windows.setdefault((key.names, key.start_time, key.end_time), []).append(key.session_id)
    for (names, start_time, end_time), session_ids in windows.items():
        per_session = await _summaries(
            ctx, session_ids, list(names) if names is not None else None, start_time, end_time
        )
        for session_id in session_ids:
            found[SummaryKey(session_id, names, start_time, end_time)] = per_session.get(session_id, [])
    return [found[key] for key in keys]


async def _summaries(
    ctx: RequestContext, session_ids: list[str], names: list[str] | None, start_time: str | None, end_time: str | None
) -> dict[str, list[NameSummary]]:
    condition = compile_session_event_where(_window_where(session_ids, names, start_time, end_time), ctx.viewer)
    kind = func.upper(func.btrim(SessionEvent.event_type)).label("kind")
    duration = extract("epoch", SessionEvent.end_time - SessionEvent.start_time)
    rows = (
        await ctx.execute(
            select(
                SessionEvent.session_id,
                SessionEvent.name,
                kind,
                func.count(),
                func.min(SessionEvent.start_time),
                func.max(event_end()),
                func.sum(duration),
                func.min(SessionEvent.value),
                func.max(SessionEvent.value),
                func.avg(SessionEvent.value),
                func.sum(SessionEvent.value),
            )
            .where(condition)
            .group_by(SessionEvent.session_id, SessionEvent.name, kind)
            .order_by(SessionEvent.session_id, SessionEvent.name.asc().nulls_last(), kind)
        )
    ).all()
    state_rows = (
        await ctx.execute(
            select(SessionEvent.session_id, SessionEvent.name, kind, SessionEvent.state, func.count())
            .where(condition, SessionEvent.state.is_not(None))
            .group_by(SessionEvent.session_id, SessionEvent.name, kind, SessionEvent.state)
            .order_by(func.count().desc(), SessionEvent.state)
        )
    ).all()
    states: dict[tuple[str, str | None, str], list[tuple[str, int]]] = {}
    for session_id, name, event_kind, state, count in state_rows:
        states.setdefault((session_id, name, event_kind), []).append((state, count))
    summaries: dict[str, list[NameSummary]] = {}
    for session_id, name, event_kind, count, first, last, total, low, high, average, total_value in rows:
        summaries.setdefault(session_id, []).append(
            NameSummary(
                name=name,
                event_type=event_kind,
                count=count,
                first_time=first,
                last_time=last,
                total_duration=float(total) if total is not None else None,
                min=low,
                max=high,
                average=float(average) if average is not None else None,
                sum=total_value,
                states=states.get((session_id, name, event_kind), []),
            )
        )
    return summaries


@dataclass(frozen=True)
class Sample:
    time: datetime
    name: str | None
    count: int
    state: str | None
    average: float | None


async def timeline(
    ctx: RequestContext,
    session: Session,
    resolution: float | None,
    start_time: str | None,
    end_time: str | None,
    names: list[str] | None,
) -> list[Sample]:
    """SceneBox's resolve_session, computed when read: the window [start, end] in buckets of
    `resolution` seconds (the last one closed at `end`); per bucket and name, the events overlapping
    the bucket, the state of the one that starts last and the average value. One statement."""
    step = resolution if resolution is not None else session.resolution
    if step is None or not step > 0 or math.isinf(step):
        raise BadUserInput("timeline: give a resolution in seconds above 0 (the session has none).")
    start = parse_time(start_time, "startTime")[0] if start_time is not None else session.start_time
    end = upper_bound(end_time, "endTime")[0] if end_time is not None else session.end_time
    if start is None or end is None:
        raise BadUserInput("timeline: the session has no time span; give startTime and endTime.")
    if end < start:
        raise BadUserInput("timeline: endTime is before startTime.")
    buckets = max(1, math.ceil((end - start).total_seconds() / step))
    if buckets > MAX_TIMELINE_SAMPLES:
        raise BadUserInput(
            f"timeline: {buckets} buckets of {step} s, at most {MAX_TIMELINE_SAMPLES}; take a coarser resolution "
            "or a shorter window."
        )
    where = _window_where([session.id], names, start.isoformat(), end.isoformat())
    condition = compile_session_event_where(where, ctx.viewer)
    origin = literal(start, DateTime(timezone=True))

    def bucket_of(moment: Any) -> Any:
        """The bucket a moment falls in, clamped to the window's buckets before the cast to integer
        (a tiny resolution over a long interval would overflow it): a moment at the window's end
        belongs to the last bucket."""
        index = func.floor(extract("epoch", moment - origin) / step)
        return cast(func.least(buckets - 1, func.greatest(0, index)), Integer)

    low = bucket_of(SessionEvent.start_time)
    high = bucket_of(event_end())
    # A function in FROM may refer to the tables before it (PostgreSQL makes it LATERAL implicitly).
    bucket = func.generate_series(low, high).table_valued("b", joins_implicitly=True).render_derived(name="bucket")
    latest_state = func.array_agg(
        aggregate_order_by(SessionEvent.state, SessionEvent.start_time.desc(), SessionEvent.id.desc())
    ).filter(SessionEvent.state.is_not(None))
    rows = (
        await ctx.execute(
            select(bucket.c.b, SessionEvent.name, func.count(), latest_state[1], func.avg(SessionEvent.value))
            .select_from(SessionEvent)
            .join(bucket, true())
            .where(condition)
            .group_by(bucket.c.b, SessionEvent.name)
            .order_by(bucket.c.b, SessionEvent.name.asc().nulls_last())
            .limit(MAX_TIMELINE_SAMPLES + 1)
        )
    ).all()
    if len(rows) > MAX_TIMELINE_SAMPLES:
        raise BadUserInput(
            f"timeline: more than {MAX_TIMELINE_SAMPLES} samples (buckets × names); take a coarser resolution, "
            "a shorter window or fewer names."
        )
    return [
        Sample(
            time=start + timedelta(seconds=b * step),
            name=name,
            count=count,
            state=state,
            average=float(average) if average is not None else None,
        )
        for b, name, count, state, average in rows
    ]
