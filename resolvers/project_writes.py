"""Creating and changing projects."""

from __future__ import annotations

import json
from typing import Any

from gateway.context import RequestContext
from gateway.db.models import Project, ProjectMember, utcnow
from gateway.errors import BadUserInput
from resolvers.roles import Role
from resolvers.transactions import write_transaction
from schema.inputs.data import CreateProjectData


def parse_json_interface(value: str | None) -> Any:
    """The ontology: a JSON object string; `"null"` (what the SDK sends for none) or nothing is None."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise BadUserInput(f"jsonInterface must be a JSON-encoded object string: {exc}") from None
    if parsed is not None and not isinstance(parsed, dict):
        raise BadUserInput(f"jsonInterface must be a JSON object, got {type(parsed).__name__}.")
    return parsed


async def create_project(ctx: RequestContext, data: CreateProjectData) -> Project:
    """Any user may create a project in their organization; they become its ADMIN member."""
    viewer = ctx.viewer
    if not data.title.strip():
        raise BadUserInput("title must not be empty.")
    if data.from_demo_project is not None:
        raise BadUserInput("fromDemoProject is not supported: labelgate has no demo projects.")
    now = utcnow()
    project = Project(
        organization_id=viewer.organization_id,
        title=data.title,
        description=data.description or "",
        input_type=(data.input_type.value if data.input_type else "IMAGE"),
        json_interface=parse_json_interface(data.json_interface),
        instructions=data.instructions,
        tags=list(data.tags or []),
        created_at=now,
        updated_at=now,
    )
    async with write_transaction(ctx), ctx.db_lock:
        ctx.db.add(project)
        await ctx.db.flush()
        ctx.db.add(ProjectMember(project_id=project.id, user_id=viewer.user_id, role=Role.ADMIN.name))
        await ctx.db.flush()
    return project
