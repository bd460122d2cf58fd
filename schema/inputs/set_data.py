"""Inputs of the set mutations (capability map §3 R1: SceneBox's create_set and its set properties)."""

from __future__ import annotations

import strawberry

F = strawberry.field


@strawberry.input(description="A new set (SceneBox `create_set`).")
class CreateSetData:
    project_id: strawberry.ID = F(description="The project the set belongs to (TEAM_MANAGER there).")
    name: str = F(description="Name, unique in the project (a name already used is a CONFLICT).")
    description: str | None = F(default=None, description="Description.")
    tags: list[str] | None = F(default=None, description="Tags.")
    json_aux_metadata: str | None = F(
        default=None, description="Free auxiliary metadata, a JSON-encoded object string."
    )
    origin_set_id: strawberry.ID | None = F(
        default=None, description="The set of the same project this one derives from, if any."
    )
    id: strawberry.ID | None = F(default=None, description="The id to give the set (generated when left out).")


@strawberry.input(description="Changes to a set: fields left out stay as they are.")
class UpdateSetData:
    name: str | None = F(default=None, description="New name, unique in the project.")
    description: str | None = F(default=None, description="New description.")
    tags: list[str] | None = F(default=None, description="New tags (replace the old ones).")
    json_aux_metadata: str | None = F(
        default=None, description="New auxiliary metadata, a JSON-encoded object string (replaces)."
    )
