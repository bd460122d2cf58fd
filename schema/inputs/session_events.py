"""Inputs of session events: the events to append (SceneBox's intervals, point events, measurements,
comments, geolocation) and the filter every event list, count and delete compiles."""

from __future__ import annotations

import strawberry
from strawberry import field as F

from schema.types.session import SessionEventType


@strawberry.input(
    description="One event to append. INTERVAL needs endTime at or after startTime, SCALAR needs value, COMMENT "
    "needs comment, GEOLOCATION needs latitude (-90..90) and longitude (-180..180)."
)
class SessionEventInput:
    event_type: SessionEventType = F(description="Kind of event.")
    start_time: str = F(description="When the event starts (or happens), ISO-8601 (a missing zone means UTC).")
    name: str | None = F(
        default=None, description="Name, e.g. 'weather' or 'speed'; summaries and timelines group by it."
    )
    end_time: str | None = F(
        default=None, description="When an interval ends (INTERVAL, or a SCALAR/COMMENT over a segment)."
    )
    value: float | None = F(default=None, description="Measured value (SCALAR).")
    state: str | None = F(default=None, description="State during an interval, e.g. 'rain' (SceneBox's event value).")
    comment: str | None = F(default=None, description="Comment text (COMMENT).")
    latitude: float | None = F(default=None, description="Latitude in degrees, -90 to 90.")
    longitude: float | None = F(default=None, description="Longitude in degrees, -180 to 180.")
    json_aux_metadata: str | None = F(
        default=None, description="Free auxiliary metadata, a JSON-encoded object string."
    )
    id: strawberry.ID | None = F(
        default=None, description="Id to give the event (default: a new id); CONFLICT if taken."
    )


@strawberry.input(
    description="Filter on session events. Every condition given must hold; only events of sessions the viewer may "
    "see ever match."
)
class SessionEventWhere:
    session_id_in: list[strawberry.ID] | None = F(default=None, description="Events of any of these sessions.")
    event_type_in: list[SessionEventType] | None = F(
        default=None, description="Events of any of these kinds; an empty list matches none."
    )
    name_in: list[str] | None = F(default=None, description="Events named exactly one of these.")
    overlaps_start: str | None = F(
        default=None,
        description="Events that end (or, without an end, happen) at or after this time: with overlapsEnd, the "
        "events overlapping the window.",
    )
    overlaps_end: str | None = F(default=None, description="Events that start at or before this time.")
    start_time_gte: str | None = F(default=None, description="Events that start at or after this time.")
    start_time_lte: str | None = F(default=None, description="Events that start at or before this time.")
