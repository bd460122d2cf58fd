"""Sessions: recordings (a drive, a flight) with assets on a timeline (SceneBox sense)."""

from __future__ import annotations

import json

import strawberry

from gateway.db import models
from schema.timefmt import iso


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
            created_at=iso(row.created_at),
            updated_at=iso(row.updated_at),
        )
