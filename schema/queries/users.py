"""Root fields: the viewer, API keys, organizations, notifications."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import users
from schema.inputs.where import ApiKeyWhere, NotificationWhere, OrganizationWhere
from schema.queries.args import First, Skip
from schema.types.user import ApiKey, Organization, User


@strawberry.type(description="A notification about a background task. labelgate runs none yet.")
class Notification:
    id: strawberry.ID = strawberry.field(description="Notification id.")
    status: str | None = strawberry.field(description="SUCCESS, FAILURE, or anything else while pending.")


@strawberry.type
class UserQueries:
    @strawberry.field(description="The user the API key belongs to.")
    async def viewer(self, info: strawberry.Info) -> User:
        return User.from_row(await users.viewer_user(info.context))

    @strawberry.field(description="The viewer's own API keys.")
    async def api_keys(
        self,
        info: strawberry.Info,
        where: Annotated[ApiKeyWhere, strawberry.argument(description="Which keys.")],
        first: First,
        skip: Skip,
    ) -> list[ApiKey]:
        return [ApiKey.from_row(r) for r in await users.list_api_keys(info.context, where, first, skip)]

    @strawberry.field(description="The viewer's organization, if it matches `where`.")
    async def organizations(
        self,
        info: strawberry.Info,
        where: Annotated[OrganizationWhere, strawberry.argument(description="Which organizations.")],
        first: First,
        skip: Skip,
    ) -> list[Organization]:
        rows = await users.list_organizations(info.context, where, first, skip)
        return [Organization.from_row(r) for r in rows]

    @strawberry.field(description="Number of organizations `organizations` would list.")
    async def count_organizations(
        self,
        info: strawberry.Info,
        where: Annotated[OrganizationWhere, strawberry.argument(description="Which organizations.")],
    ) -> int:
        return await users.count_organizations(info.context, where)

    @strawberry.field(description="Notifications for the viewer: always empty, labelgate runs no background tasks.")
    async def notifications(
        self,
        info: strawberry.Info,
        where: Annotated[NotificationWhere, strawberry.argument(description="Which notifications.")],
        first: First,
        skip: Skip,
    ) -> list[Notification]:
        info.context.viewer  # noqa: B018  (authenticates)
        return []

    @strawberry.field(description="Number of notifications: always 0.")
    async def count_notifications(
        self,
        info: strawberry.Info,
        where: Annotated[NotificationWhere, strawberry.argument(description="Which notifications.")],
    ) -> int:
        info.context.viewer  # noqa: B018  (authenticates)
        return 0
