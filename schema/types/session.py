"""Sessions: recordings (a drive, a flight) with assets on a timeline, and events (SceneBox sense)."""

from __future__ import annotations

import json
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.db import models
from resolvers.per_parent import PageKey
from schema.queries.args import FIRST_DEFAULT, SKIP_DEFAULT, First, Skip
from schema.timefmt import iso
from schema.types.page import PageInfo
from schema.types.project import Project

if TYPE_CHECKING:
    from schema.types.asset import Asset
    from schema.types.session_timeline import EventSummary, TimelineSample
    from schema.types.stats import AssetStats


@strawberry.enum(description="Kind of event on a session's timeline.")
class SessionEventType(Enum):
    INTERVAL = strawberry.enum_value("INTERVAL", description="Something that lasts from startTime to endTime.")
    POINT = strawberry.enum_value("POINT", description="Something that happens at startTime.")
    SCALAR = strawberry.enum_value("SCALAR", description="A measured value at startTime (or over an interval).")
    COMMENT = strawberry.enum_value("COMMENT", description="A comment on startTime (or on an interval).")
    GEOLOCATION = strawberry.enum_value(
        "GEOLOCATION", description="Where the recording was at startTime (latitude, longitude)."
    )

    @classmethod
    def from_stored(cls, stored: str) -> SessionEventType:
        """The column is free text: the enum's spellings are accepted in any case."""
        try:
            return cls(stored.strip().upper())
        except ValueError:
            raise ValueError(f"session event type {stored!r} is none of {[t.value for t in cls]}") from None


@strawberry.type(description="An event on a session's timeline: an interval, a point event, a measurement, a comment.")
class SessionEvent:
    id: strawberry.ID = strawberry.field(description="Event id.")
    session_id: strawberry.ID = strawberry.field(description="Id of the session the event belongs to.")
    event_type: SessionEventType = strawberry.field(description="Kind of event.")
    name: str | None = strawberry.field(description="Name, e.g. the event or the measured quantity.")
    start_time: str = strawberry.field(description="When the event starts (or happens), ISO-8601 UTC.")
    end_time: str | None = strawberry.field(description="When an interval ends, ISO-8601 UTC.")
    value: float | None = strawberry.field(description="Measured value (scalar events).")
    state: str | None = strawberry.field(description="State during an interval, e.g. 'rain' (SceneBox's event value).")
    latitude: float | None = strawberry.field(description="Latitude in degrees (geolocation events).")
    longitude: float | None = strawberry.field(description="Longitude in degrees (geolocation events).")
    comment: str | None = strawberry.field(description="Comment text (comment events).")
    json_aux_metadata: str = strawberry.field(description="Free auxiliary metadata, as a JSON-encoded object string.")
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")

    @classmethod
    def from_row(cls, row: models.SessionEvent) -> SessionEvent:
        return cls(
            id=row.id,
            session_id=row.session_id,
            event_type=SessionEventType.from_stored(row.event_type),
            name=row.name,
            start_time=iso(row.start_time),
            end_time=iso(row.end_time),
            value=row.value,
            state=row.state,
            latitude=row.latitude,
            longitude=row.longitude,
            comment=row.comment,
            json_aux_metadata=json.dumps(row.aux_metadata or {}),
            created_at=iso(row.created_at),
        )


@strawberry.type(description="A recording (a drive, a flight): assets sit on its timeline by timestamp.")
class Session:
    id: strawberry.ID = strawberry.field(description="Session id.")
    project_id: strawberry.ID = strawberry.field(description="Id of the project the session belongs to.")
    name: str = strawberry.field(description="Name.")
    session_type: str | None = strawberry.field(description="Kind of recording, e.g. 'drive' or 'flight'.")
    status: str | None = strawberry.field(description="Free status, e.g. 'recorded' or 'processed'.")
    start_time: str | None = strawberry.field(description="Start of the recording, ISO-8601 UTC.")
    end_time: str | None = strawberry.field(description="End of the recording, ISO-8601 UTC.")
    resolution: float | None = strawberry.field(description="Sampling resolution of the timeline, in seconds.")
    json_aux_metadata: str = strawberry.field(description="Free auxiliary metadata, as a JSON-encoded object string.")
    origin_session_id: strawberry.ID | None = strawberry.field(
        description="For a slice (sliceSession): the recording it was sliced from; its assets are that "
        "recording's assets inside this session's span."
    )
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")
    updated_at: str = strawberry.field(description="Last update time, ISO-8601 UTC.")

    @classmethod
    def from_row(cls, row: models.Session) -> Session:
        return cls(
            id=row.id,
            project_id=row.project_id,
            name=row.name,
            session_type=row.session_type,
            status=row.status,
            start_time=iso(row.start_time),
            end_time=iso(row.end_time),
            resolution=row.resolution,
            json_aux_metadata=json.dumps(row.aux_metadata or {}),
            origin_session_id=row.origin_session_id,
            created_at=iso(row.created_at),
            updated_at=iso(row.updated_at),
        )

    @strawberry.field(description="The session's assets on its timeline: by timestamp (untimed last), then id.")
    async def assets(
        self, info: strawberry.Info, first: First = FIRST_DEFAULT, skip: Skip = SKIP_DEFAULT
    ) -> list[Annotated[Asset, strawberry.lazy("schema.types.asset")]]:
        from schema.types.asset import Asset  # noqa: PLC0415  (the asset module may refer back to sessions)

        rows = await info.context.loaders.asset_page_of_session.load(PageKey(self.id, first, skip))
        return [Asset.from_row(row) for row in rows]

    @strawberry.field(description="Number of assets on the session's timeline.")
    async def number_of_assets(self, info: strawberry.Info) -> int:
        return await info.context.loaders.asset_count_of_session.load(self.id)

    @strawberry.field(
        description="The session's assets: total and byStatus (Datature list_groups), as "
        "assetStats(where: {sessionIdIn: [id]}) "
        "answers them; aggregations and metrics are empty here (ask assetStats for them). One statement for a page."
    )
    async def stats(self, info: strawberry.Info) -> Annotated[AssetStats, strawberry.lazy("schema.types.stats")]:
        from schema.types.stats import AssetStats  # noqa: PLC0415  (schema.types.stats imports resolvers)

        return AssetStats.from_result(await info.context.loaders.stats_of_session.load(self.id))

    @strawberry.field(
        description="The sensors that recorded the session's assets (each once, sorted), e.g. ['cam_front', 'lidar']."
    )
    async def sensors(self, info: strawberry.Info) -> list[str]:
        return await info.context.loaders.sensors_of_session.load(self.id)

    @strawberry.field(description="The project the session belongs to.")
    async def project(self, info: strawberry.Info) -> Project:
        return Project.from_row(await info.context.loaders.project.load(self.project_id))

    @strawberry.field(description="Events on the session's timeline, by start time (then id).")
    async def events(
        self,
        info: strawberry.Info,
        first: First = FIRST_DEFAULT,
        skip: Skip = SKIP_DEFAULT,
        event_type_in: Annotated[
            list[SessionEventType] | None,
            strawberry.argument(description="Only events of these kinds; an empty list matches none."),
        ] = None,
    ) -> list[SessionEvent]:
        types = None if event_type_in is None else tuple(sorted({t.value for t in event_type_in}))
        key = PageKey(self.id, first, skip, variant=types)
        return [SessionEvent.from_row(row) for row in await info.context.loaders.event_page_of_session.load(key)]

    @strawberry.field(
        description="The session's events overlapping a window, summed up per name and kind (SceneBox's "
        "entity_summary), computed when read; counts agree with countSessionEvents on the same window."
    )
    async def event_summary(
        self,
        info: strawberry.Info,
        names: Annotated[list[str] | None, strawberry.argument(description="Only these names (default: all).")] = None,
        start_time: Annotated[
            str | None, strawberry.argument(description="Window start (events ending at or after it).")
        ] = None,
        end_time: Annotated[
            str | None, strawberry.argument(description="Window end (events starting at or before it).")
        ] = None,
    ) -> list[Annotated[EventSummary, strawberry.lazy("schema.types.session_timeline")]]:
        from resolvers import session_events  # noqa: PLC0415  (resolvers import this module's inputs)
        from schema.types.session_timeline import EventSummary  # noqa: PLC0415

        key = session_events.SummaryKey(self.id, tuple(names) if names is not None else None, start_time, end_time)
        summaries = await info.context.loaders.event_summary_of_session.load(key)
        return [EventSummary.from_summary(s) for s in summaries]

    @strawberry.field(
        description="SceneBox's resolve_session, computed when read: the window in buckets of `resolution` seconds; "
        "per bucket and name, the state of the event that starts last and the average value. At most 10,000 "
        "samples (BAD_USER_INPUT beyond)."
    )
    async def timeline(
        self,
        info: strawberry.Info,
        resolution: Annotated[
            float | None, strawberry.argument(description="Bucket size in seconds (default: the session's).")
        ] = None,
        start_time: Annotated[
            str | None, strawberry.argument(description="Window start (default: the session's start).")
        ] = None,
        end_time: Annotated[
            str | None, strawberry.argument(description="Window end (default: the session's end).")
        ] = None,
        names: Annotated[list[str] | None, strawberry.argument(description="Only these names (default: all).")] = None,
    ) -> list[Annotated[TimelineSample, strawberry.lazy("schema.types.session_timeline")]]:
        from resolvers import session_events  # noqa: PLC0415  (resolvers import this module's inputs)
        from schema.types.session_timeline import TimelineSample  # noqa: PLC0415

        session = await info.context.loaders.session.load(self.id)  # the stored span and resolution
        samples = await session_events.timeline(info.context, session, resolution, start_time, end_time, names)
        return [TimelineSample.from_sample(s) for s in samples]


@strawberry.type(description="A keyset page of sessions.")
class SessionConnection:
    nodes: list[Session] = strawberry.field(description="The sessions of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")
