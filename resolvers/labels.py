"""Reading labels: list, count and keyset page share one compiled filter, so they always agree."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.context import RequestContext
from gateway.db.models import Label
from resolvers.filters.label_where import compile_label_where
from resolvers.paging import keyset_page, offset_page
from schema.inputs.where import LabelWhere


async def list_labels(ctx: RequestContext, where: LabelWhere | None, first: int, skip: int) -> list[Label]:
    statement = select(Label).where(compile_label_where(where, ctx.viewer))
    return await ctx.scalars(offset_page(statement, Label.created_at, Label.id, first, skip))


async def page_labels(ctx: RequestContext, where: LabelWhere | None, first: int, after: str | None) -> list[Label]:
    statement = select(Label).where(compile_label_where(where, ctx.viewer))
    return await ctx.scalars(keyset_page(statement, Label.created_at, Label.id, first, after))


async def count_labels(ctx: RequestContext, where: LabelWhere | None) -> int:
    return await ctx.scalar(select(func.count()).select_from(Label).where(compile_label_where(where, ctx.viewer)))
