"""Reading issues: list, count and keyset page share one compiled filter, so they always agree."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.context import RequestContext
from gateway.db.models import Issue
from resolvers.filters.issue_where import compile_issue_where
from resolvers.paging import keyset_page, offset_page
from schema.inputs.where import IssueWhere


async def list_issues(ctx: RequestContext, where: IssueWhere | None, first: int, skip: int) -> list[Issue]:
    statement = select(Issue).where(compile_issue_where(where, ctx.viewer))
    return await ctx.scalars(offset_page(statement, Issue.created_at, Issue.id, first, skip))


async def page_issues(ctx: RequestContext, where: IssueWhere | None, first: int, after: str | None) -> list[Issue]:
    statement = select(Issue).where(compile_issue_where(where, ctx.viewer))
    return await ctx.scalars(keyset_page(statement, Issue.created_at, Issue.id, first, after))


async def count_issues(ctx: RequestContext, where: IssueWhere | None) -> int:
    return await ctx.scalar(select(func.count()).select_from(Issue).where(compile_issue_where(where, ctx.viewer)))
