"""Reading projects."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.context import RequestContext
from gateway.db.models import Project
from resolvers.filters.project_where import compile_project_where
from resolvers.paging import keyset_page, offset_page
from schema.inputs.where import ProjectWhere


async def list_projects(ctx: RequestContext, where: ProjectWhere | None, first: int, skip: int) -> list[Project]:
    statement = select(Project).where(compile_project_where(where, ctx.viewer))
    return await ctx.scalars(offset_page(statement, Project.created_at, Project.id, first, skip))


async def page_projects(
    ctx: RequestContext, where: ProjectWhere | None, first: int, after: str | None
) -> list[Project]:
    statement = select(Project).where(compile_project_where(where, ctx.viewer))
    return await ctx.scalars(keyset_page(statement, Project.created_at, Project.id, first, after))


async def count_projects(ctx: RequestContext, where: ProjectWhere | None) -> int:
    return await ctx.scalar(select(func.count()).select_from(Project).where(compile_project_where(where, ctx.viewer)))
