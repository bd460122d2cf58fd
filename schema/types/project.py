"""Projects and their members."""

from __future__ import annotations

import json

import strawberry

from gateway.db import models
from schema.enums import InputType, ProjectRole, WorkflowVersion
from schema.timefmt import iso
from schema.types.page import PageInfo
from schema.types.user import User


@strawberry.type(description="A workflow step (Kili V2/V3). V1 projects have none.")
class ProjectStep:
    id: strawberry.ID = strawberry.field(description="Step id.")
    name: str = strawberry.field(description="Step name.")


@strawberry.type(description="A data connection (cloud storage sync). labelgate projects have none.")
class DataConnection:
    id: strawberry.ID = strawberry.field(description="Data connection id.")


@strawberry.type(description="A user's role in a project.")
class ProjectUser:
    id: strawberry.ID = strawberry.field(description="Membership id.")
    role: ProjectRole = strawberry.field(description="The role.")
    user_id: strawberry.ID = strawberry.field(description="Id of the member.")

    @strawberry.field(description="The member.")
    async def user(self, info: strawberry.Info) -> User:
        return User.from_row(await info.context.loaders.user.load(self.user_id))


@strawberry.type(description="A labeling project: its assets, labels, sets and sessions, and its members.")
class Project:
    id: strawberry.ID = strawberry.field(description="Project id.")
    title: str = strawberry.field(description="Title.")
    description: str = strawberry.field(description="Description.")
    input_type: InputType = strawberry.field(description="Kind of data the project labels.")
    json_interface: str | None = strawberry.field(
        description="The label ontology (jobs and categories), as a JSON-encoded string."
    )
    instructions: str | None = strawberry.field(description="Instructions for labelers.")
    tags: list[str] = strawberry.field(description="Tags.")
    archived: bool = strawberry.field(description="Archived projects are read-only and hidden by default in UIs.")
    starred: bool = strawberry.field(description="Starred.")
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")
    updated_at: str = strawberry.field(description="Last update time, ISO-8601 UTC.")
    workflow_version: WorkflowVersion = strawberry.field(
        description="Always V1: status-based workflow TODO → ONGOING → LABELED → TO_REVIEW → REVIEWED."
    )
    steps: list[ProjectStep] = strawberry.field(description="Workflow steps: none in the V1 workflow.")
    data_connections: list[DataConnection] = strawberry.field(description="Always empty.")
    consensus_tot_coverage: int | None = strawberry.field(
        description="Share of assets labeled by several labelers (%)."
    )
    min_consensus_size: int | None = strawberry.field(description="Labelers per consensus asset.")
    review_coverage: int | None = strawberry.field(description="Share of assets to review (%).")
    organization_id: strawberry.ID = strawberry.field(description="Id of the owning organization.")

    @classmethod
    def from_row(cls, row: models.Project) -> Project:
        return cls(
            id=row.id,
            title=row.title,
            description=row.description or "",
            input_type=InputType(row.input_type),
            json_interface=None if row.json_interface is None else json.dumps(row.json_interface),
            instructions=row.instructions,
            tags=list(row.tags or []),
            archived=row.archived,
            starred=row.starred,
            created_at=iso(row.created_at),
            updated_at=iso(row.updated_at),
            workflow_version=WorkflowVersion.V1,
            steps=[],
            data_connections=[],
            consensus_tot_coverage=0,
            min_consensus_size=1,
            review_coverage=0,
            organization_id=row.organization_id,
        )

    @strawberry.field(description="Members and their roles.")
    async def roles(self, info: strawberry.Info) -> list[ProjectUser]:
        members = await info.context.loaders.members_of_project.load(self.id)
        return [ProjectUser(id=m.id, role=ProjectRole(m.role), user_id=m.user_id) for m in members]

    @strawberry.field(description="Number of assets in the project.")
    async def number_of_assets(self, info: strawberry.Info) -> int:
        return await info.context.loaders.asset_count_of_project.load(self.id)


@strawberry.type(description="A keyset page of projects.")
class ProjectConnection:
    nodes: list[Project] = strawberry.field(description="The projects of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")
