"""Root fields: the viewer, API keys, organizations, notifications."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import notifications, users
from schema.inputs.where import ApiKeyWhere, NotificationWhere, OrganizationWhere
from schema.queries.args import FIRST_DEFAULT, SKIP_DEFAULT, First, Skip, everything
from schema.types.notification import Notification
from schema.types.user import ApiKey, Organization, User

KeyWhere = Annotated[ApiKeyWhere, strawberry.argument(description="Which keys.")]
OrgWhere = Annotated[OrganizationWhere, strawberry.argument(description="Which organizations.")]
NoteWhere = Annotated[NotificationWhere, strawberry.argument(description="Which notifications.")]
ALL_KEYS, ALL_ORGS, ALL_NOTES = everything(ApiKeyWhere), everything(OrganizationWhere), everything(NotificationWhere)


@strawberry.type
class UserQueries:
    @strawberry.field(description="The user the API key belongs to.")
    async def viewer(self, info: strawberry.Info) -> User:
        return User.from_row(await users.viewer_user(info.context))

    @strawberry.field(description="The viewer's own API keys.")
    async def api_keys(
        self,
        info: strawberry.Info,
        where: KeyWhere = ALL_KEYS,
        first: First = FIRST_DEFAULT,
        skip: Skip = SKIP_DEFAULT,
    ) -> list[ApiKey]:
        return [ApiKey.from_row(r) for r in await users.list_api_keys(info.context, where, first, skip)]

    @strawberry.field(description="The viewer's organization, if it matches `where`.")
    async def organizations(
        self,
        info: strawberry.Info,
        where: OrgWhere = ALL_ORGS,
        first: First = FIRST_DEFAULT,
        skip: Skip = SKIP_DEFAULT,
    ) -> list[Organization]:
        rows = await users.list_organizations(info.context, where, first, skip)
        return [Organization.from_row(r) for r in rows]

    @strawberry.field(description="Number of organizations `organizations` would list.")
    async def count_organizations(
        self,
        info: strawberry.Info,
        where: OrgWhere = ALL_ORGS,
    ) -> int:
        return await users.count_organizations(info.context, where)

    @strawberry.field(description="The viewer's own notifications, oldest first (created at, then id).")
    async def notifications(
        self,
        info: strawberry.Info,
        where: NoteWhere = ALL_NOTES,
        first: First = FIRST_DEFAULT,
        skip: Skip = SKIP_DEFAULT,
    ) -> list[Notification]:
        rows = await notifications.list_notifications(info.context, where, first, skip)
        return [Notification.from_row(r) for r in rows]

    @strawberry.field(description="Number of notifications `notifications` would list.")
    async def count_notifications(
        self,
        info: strawberry.Info,
        where: NoteWhere = ALL_NOTES,
    ) -> int:
        return await notifications.count_notifications(info.context, where)
