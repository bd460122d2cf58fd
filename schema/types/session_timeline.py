"""What a session's events add up to: per-name summaries and the resolved timeline (SceneBox's
entity_summary and resolve_session), computed in SQL when read (resolvers/session_events.py)."""

from __future__ import annotations

import strawberry

from resolvers.session_events import NameSummary, Sample
from schema.timefmt import iso


@strawberry.type(description="How many events of a name held one state.")
class StateBucket:
    state: str = strawberry.field(description="The state, e.g. 'rain'.")
    count: int = strawberry.field(description="Number of events with this state.")


@strawberry.type(description="The events of one name and kind overlapping a window, summed up.")
class EventSummary:
    name: str | None = strawberry.field(description="Event name (null for unnamed events).")
    event_type: str = strawberry.field(description="Kind of the events (a SessionEventType value).")
    count: int = strawberry.field(description="Number of events; the same as countSessionEvents for the window.")
    first_time: str = strawberry.field(description="Earliest start, ISO-8601 UTC.")
    last_time: str = strawberry.field(description="Latest end (or start, for instants), ISO-8601 UTC.")
    total_duration: float | None = strawberry.field(
        description="Sum of the events' durations in seconds (whole events, not clipped to the window); null "
        "when none has an end."
    )
    min: float | None = strawberry.field(description="Smallest value (null without values).")
    max: float | None = strawberry.field(description="Largest value (null without values).")
    average: float | None = strawberry.field(description="Average value (null without values).")
    sum: float | None = strawberry.field(description="Sum of the values (null without values).")
    states: list[StateBucket] = strawberry.field(description="Events per state, most frequent first.")

    @classmethod
    def from_summary(cls, s: NameSummary) -> EventSummary:
        return cls(
            name=s.name,
            event_type=s.event_type,
            count=s.count,
            first_time=iso(s.first_time),
            last_time=iso(s.last_time),
            total_duration=s.total_duration,
            min=s.min,
            max=s.max,
            average=s.average,
            sum=s.sum,
            states=[StateBucket(state=state, count=count) for state, count in s.states],
        )


@strawberry.type(description="One time bucket of one event name on the resolved timeline.")
class TimelineSample:
    time: str = strawberry.field(description="Start of the bucket, ISO-8601 UTC.")
    name: str | None = strawberry.field(description="Event name (null for unnamed events).")
    event_count: int = strawberry.field(description="Number of events overlapping the bucket.")
    state: str | None = strawberry.field(description="State of the event that starts last in the bucket, if any.")
    value: float | None = strawberry.field(description="Average value of the events in the bucket, if any.")

    @classmethod
    def from_sample(cls, s: Sample) -> TimelineSample:
        return cls(time=iso(s.time), name=s.name, event_count=s.count, state=s.state, value=s.average)
