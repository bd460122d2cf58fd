"""The viewer, their API keys, organizations."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select

from gateway.auth import hash_api_key
from gateway.context import RequestContext
from gateway.db.models import ApiKey, Organization, User
from resolvers.filters.common import all_of, in_list
from schema.inputs.where import ApiKeyWhere, OrganizationWhere, UserWhere


async def viewer_user(ctx: RequestContext) -> User:
    return await ctx.loaders.user.load(ctx.viewer.user_id)


def user_conditions(where: UserWhere | None) -> list[ColumnElement[bool] | None]:
    if where is None:
        return []
    return [
        User.id == where.id if where.id is not None else None,
        in_list(User.id, where.id_in),
        func.lower(User.email) == where.email.lower() if where.email is not None else None,
        User.activated == where.activated if where.activated is not None else None,
        User.organization_id.in_(
            select(Organization.id).where(all_of(organization_conditions(where.organization))).correlate(None)
        )
        if where.organization is not None
        else None,
    ]


def organization_conditions(where: OrganizationWhere | None) -> list[ColumnElement[bool] | None]:
    if where is None:
        return []
    return [
        Organization.id == where.id if where.id is not None else None,
        Organization.id.in_(select(User.organization_id).where(all_of(user_conditions(where.user))).correlate(None))
        if where.user is not None
        else None,
    ]


def _api_key_filter(ctx: RequestContext, where: ApiKeyWhere) -> ColumnElement[bool]:
    """A viewer reads only their own keys."""
    return all_of(
        [
            ApiKey.user_id == ctx.viewer.user_id,
            ApiKey.revoked.is_(False),
            ApiKey.id == where.id if where.id is not None else None,
            ApiKey.key_hash == hash_api_key(where.key) if where.key is not None else None,
            ApiKey.user_id.in_(select(User.id).where(all_of(user_conditions(where.user))))
            if where.user is not None
            else None,
        ]
    )


async def list_api_keys(ctx: RequestContext, where: ApiKeyWhere, first: int, skip: int) -> list[ApiKey]:
    statement = select(ApiKey).where(_api_key_filter(ctx, where))
    return await ctx.scalars(statement.order_by(ApiKey.created_at, ApiKey.id).offset(skip).limit(first))


def _organization_filter(ctx: RequestContext, where: OrganizationWhere | None) -> ColumnElement[bool]:
    """A viewer sees their own organization only."""
    return all_of([Organization.id == ctx.viewer.organization_id, *organization_conditions(where)])


async def list_organizations(
    ctx: RequestContext, where: OrganizationWhere | None, first: int, skip: int
) -> list[Organization]:
    statement = select(Organization).where(_organization_filter(ctx, where))
    return await ctx.scalars(statement.order_by(Organization.created_at, Organization.id).offset(skip).limit(first))


async def count_organizations(ctx: RequestContext, where: OrganizationWhere | None) -> int:
    return await ctx.scalar(select(func.count()).select_from(Organization).where(_organization_filter(ctx, where)))
