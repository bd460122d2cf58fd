"""Users, organizations and API keys."""

from __future__ import annotations

import strawberry

from gateway.db import models
from schema.timefmt import iso


@strawberry.type(description="A person (or a service account) who uses labelgate.")
class User:
    id: strawberry.ID = strawberry.field(description="User id.")
    email: str = strawberry.field(description="Email address, unique.")
    firstname: str | None = strawberry.field(description="First name.")
    lastname: str | None = strawberry.field(description="Last name.")
    activated: bool = strawberry.field(description="False when the user may no longer sign in.")
    organization_id: strawberry.ID = strawberry.field(description="Id of the user's organization.")
    is_organization_admin: bool = strawberry.field(
        description="Organization admins see and manage every project of their organization."
    )
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")

    @classmethod
    def from_row(cls, row: models.User) -> User:
        return cls(
            id=row.id,
            email=row.email,
            firstname=row.firstname,
            lastname=row.lastname,
            activated=row.activated,
            organization_id=row.organization_id,
            is_organization_admin=row.is_org_admin,
            created_at=iso(row.created_at),
        )


@strawberry.type(description="An API key. The key itself is shown only once, when it is created.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="API key id.")
    key: str = strawberry.field(description="The key's first characters followed by '…' (keys are stored hashed).")
    name: str | None = strawberry.field(description="Name given to the key.")
    expiry_date: str = strawberry.field(description="Expiry time, ISO-8601 UTC with milliseconds.")
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")

    @classmethod
    def from_row(cls, row: models.ApiKey) -> ApiKey:
        return cls(
            id=row.id,
            key=row.key_prefix + "…",
            name=row.name,
            expiry_date=iso(row.expires_at),
            created_at=iso(row.created_at),
        )


@strawberry.type(description="What an organization's licence allows.")
class License:
    upload_local_data: bool = strawberry.field(
        description="Whether members may upload files to labelgate's storage (signed PUT URLs)."
    )


@strawberry.type(description="A company or team: it owns users and projects.")
class Organization:
    id: strawberry.ID = strawberry.field(description="Organization id.")
    name: str | None = strawberry.field(description="Organization name.")
    license: License = strawberry.field(description="What the organization's licence allows.")
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")

    @classmethod
    def from_row(cls, row: models.Organization) -> Organization:
        return cls(
            id=row.id,
            name=row.name,
            license=License(upload_local_data=row.upload_local_data),
            created_at=iso(row.created_at),
        )
