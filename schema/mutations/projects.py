"""Root mutation fields: projects and their members."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import project_writes
from schema.inputs.data import CreateProjectData
from schema.types.project import Project


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(description="Creates a project in the viewer's organization; the viewer becomes its ADMIN.")
    async def create_project(
        self,
        info: strawberry.Info,
        data: Annotated[CreateProjectData, strawberry.argument(description="The new project.")],
    ) -> Project:
        return Project.from_row(await project_writes.create_project(info.context, data))
