"""Sets: curated collections of a project's assets (SceneBox sense)."""

from __future__ import annotations

import json

import strawberry

from gateway.db import models
from schema.timefmt import iso


@strawberry.type(description="A named, curated collection of one project's assets.")
class Set:
    id: strawberry.ID = strawberry.field(description="Set id.")
    project_id: strawberry.ID = strawberry.field(description="Id of the project the set belongs to.")
    name: str = strawberry.field(description="Name, unique in the project.")
    description: str | None = strawberry.field(description="Description.")
    tags: list[str] = strawberry.field(description="Tags.")
    json_aux_metadata: str = strawberry.field(description="Free auxiliary metadata, as a JSON-encoded object string.")
    is_locked: bool = strawberry.field(description="A locked set's membership may not change.")
    origin_set_id: strawberry.ID | None = strawberry.field(description="The set this one was derived from, if any.")
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")
    updated_at: str = strawberry.field(description="Last update time, ISO-8601 UTC.")

    @classmethod
    def from_row(cls, row: models.AssetSet) -> Set:
        return cls(
            id=row.id,
            project_id=row.project_id,
            name=row.name,
            description=row.description,
            tags=list(row.tags or []),
            json_aux_metadata=json.dumps(row.aux_metadata or {}),
            is_locked=row.is_locked,
            origin_set_id=row.origin_set_id,
            created_at=iso(row.created_at),
            updated_at=iso(row.updated_at),
        )
