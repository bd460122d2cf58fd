"""SessionEventWhere → SQL: the one compiler behind `sessionEvents`, `countSessionEvents`,
`deleteSessionEvents`, `Session.events`, `Session.eventSummary` and `Session.timeline`, so that they
all agree on which events a window holds.

An event overlaps the window [overlapsStart, overlapsEnd] when it ends (or, without an end, happens)
at or after overlapsStart and starts at or before overlapsEnd.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select

from gateway.auth import Viewer
from gateway.db.models import Session, SessionEvent
from resolvers.arrays import any_id
from resolvers.filters.common import all_of, in_list, time_range
from resolvers.filters.values import lower_bound, upper_bound
from resolvers.visibility import project_visible
from schema.inputs.session_events import SessionEventWhere


def event_end() -> ColumnElement[datetime]:
    """When an event ends: its end time, or its start time for an instant."""
    return func.coalesce(SessionEvent.end_time, SessionEvent.start_time)


def event_types_condition(types: tuple[str, ...] | list[str]) -> ColumnElement[bool]:
    """Event type is one of `types` (enum members or their values; stored spellings are compared
    case-insensitively)."""
    return any_id(func.upper(func.btrim(SessionEvent.event_type)), [getattr(t, "value", t) for t in types])


def overlap_conditions(start: datetime | None, end: datetime | None, end_exclusive: bool = False) -> list:
    """Events overlapping [start, end] (either bound may be open)."""
    conditions = []
    if start is not None:
        conditions.append(event_end() >= start)
    if end is not None:
        conditions.append(SessionEvent.start_time < end if end_exclusive else SessionEvent.start_time <= end)
    return conditions


def session_event_conditions(where: SessionEventWhere | None) -> list[ColumnElement[bool] | None]:
    """The conditions of `where` alone, without visibility."""
    if where is None:
        return []
    start = lower_bound(where.overlaps_start, "overlapsStart") if where.overlaps_start is not None else None
    end, exclusive = upper_bound(where.overlaps_end, "overlapsEnd") if where.overlaps_end is not None else (None, False)
    return [
        in_list(SessionEvent.session_id, where.session_id_in),
        event_types_condition(where.event_type_in) if where.event_type_in is not None else None,
        in_list(SessionEvent.name, where.name_in),
        *overlap_conditions(start, end, exclusive),
        *time_range(SessionEvent.start_time, where.start_time_gte, where.start_time_lte, "startTime"),
    ]


def event_visible(viewer: Viewer) -> ColumnElement[bool]:
    """The event's session is in a project the viewer may see."""
    return exists(
        select(Session.id).where(Session.id == SessionEvent.session_id, project_visible(Session.project_id, viewer))
    )


def compile_session_event_where(where: SessionEventWhere | None, viewer: Viewer) -> ColumnElement[bool]:
    return all_of([event_visible(viewer), *session_event_conditions(where)])
