"""Root fields: projects."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import projects
from schema.inputs.where import ProjectWhere
from schema.queries.args import FIRST_DEFAULT, SKIP_DEFAULT, After, First, Skip, everything
from schema.types.page import split_page
from schema.types.project import Project, ProjectConnection

Where = Annotated[ProjectWhere, strawberry.argument(description="Which projects; `{}` for all the viewer may see.")]
ALL = everything(ProjectWhere)


@strawberry.type
class ProjectQueries:
    @strawberry.field(description="Projects the viewer may see, oldest first.")
    async def projects(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, skip: Skip = SKIP_DEFAULT
    ) -> list[Project]:
        return [Project.from_row(r) for r in await projects.list_projects(info.context, where, first, skip)]

    @strawberry.field(description="Number of projects `projects` would list for the same `where`.")
    async def count_projects(self, info: strawberry.Info, where: Where = ALL) -> int:
        return await projects.count_projects(info.context, where)

    @strawberry.field(description="Projects as a keyset page (for UIs that page deep).")
    async def projects_connection(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, after: After = None
    ) -> ProjectConnection:
        page, page_info = split_page(await projects.page_projects(info.context, where, first, after), first, after)
        return ProjectConnection(nodes=[Project.from_row(r) for r in page], page_info=page_info)
