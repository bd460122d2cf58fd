"""Root mutation fields: projects and their members."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.db import models
from resolvers import project_writes
from resolvers.roles import described
from schema.enums import ProjectRole
from schema.inputs.data import CreateProjectData, ProjectMemberData, UpdateProjectData
from schema.types.project import Project, ProjectUser

ProjectId = Annotated[strawberry.ID, strawberry.argument(description="The project.")]


def _project_user(row: models.ProjectMember) -> ProjectUser:
    return ProjectUser(id=row.id, role=ProjectRole(row.role), user_id=row.user_id)


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(
        description=described(
            "createProject", "Creates a project in the viewer's organization; the viewer becomes its ADMIN."
        )
    )
    async def create_project(
        self,
        info: strawberry.Info,
        data: Annotated[CreateProjectData, strawberry.argument(description="The new project.")],
    ) -> Project:
        return Project.from_row(await project_writes.create_project(info.context, data))

    @strawberry.mutation(
        description=described("updateProject", "Changes a project's settings: only the fields given are written.")
    )
    async def update_project(
        self,
        info: strawberry.Info,
        id: ProjectId,
        data: Annotated[UpdateProjectData, strawberry.argument(description="The changes.")],
    ) -> Project:
        return Project.from_row(await project_writes.update_project(info.context, id, data))

    @strawberry.mutation(
        description=described(
            "archiveProject",
            "Archives a project: its assets and labels become read-only (mutations on them are LOCKED) until it "
            "is unarchived; its settings and members stay manageable. Archiving an archived project changes "
            "nothing.",
        )
    )
    async def archive_project(self, info: strawberry.Info, id: ProjectId) -> Project:
        return Project.from_row(await project_writes.set_archived(info.context, id, True))

    @strawberry.mutation(
        description=described(
            "unarchiveProject", "Restores an archived project: its assets and labels are writable again."
        )
    )
    async def unarchive_project(self, info: strawberry.Info, id: ProjectId) -> Project:
        return Project.from_row(await project_writes.set_archived(info.context, id, False))

    @strawberry.mutation(
        description=described(
            "addProjectMember",
            "Adds a user of the project's organization as a member with a role. CONFLICT when they already are "
            "a member.",
        )
    )
    async def add_project_member(
        self,
        info: strawberry.Info,
        data: Annotated[ProjectMemberData, strawberry.argument(description="The project, the user and the role.")],
    ) -> ProjectUser:
        return _project_user(await project_writes.add_member(info.context, data))

    @strawberry.mutation(
        description=described(
            "updateProjectMemberRole",
            "Changes a member's role. Demoting the project's last ADMIN member is a CONFLICT.",
        )
    )
    async def update_project_member_role(
        self,
        info: strawberry.Info,
        data: Annotated[
            ProjectMemberData, strawberry.argument(description="The project, the member and the new role.")
        ],
    ) -> ProjectUser:
        return _project_user(await project_writes.update_member_role(info.context, data))

    @strawberry.mutation(
        description=described(
            "removeProjectMember",
            "Removes a member and unassigns them from the project's assets; their labels stay. Answers the "
            "removed membership. Removing the project's last ADMIN member is a CONFLICT.",
        )
    )
    async def remove_project_member(
        self,
        info: strawberry.Info,
        project_id: Annotated[strawberry.ID, strawberry.argument(name="projectID", description="The project.")],
        user: Annotated[str, strawberry.argument(description="The member: user id or email.")],
    ) -> ProjectUser:
        return _project_user(await project_writes.remove_member(info.context, project_id, user))
