"""Notifications: the outcome of a task, for one user (Kili's SDK polls them after asynchronous imports)."""

from __future__ import annotations

import strawberry

from gateway.db import models
from schema.timefmt import iso


@strawberry.type(
    description=(
        "A message to the viewer about a task. labelgate writes one per appendManyAssetsAsynchronously "
        "call, already SUCCESS: it runs those imports synchronously."
    )
)
class Notification:
    id: strawberry.ID = strawberry.field(description="Notification id.")
    status: str | None = strawberry.field(description="SUCCESS, FAILURE, or anything else while pending.")
    message: str | None = strawberry.field(description="What happened, in words (e.g. how many assets came in).")
    has_been_seen: bool = strawberry.field(description="Whether the user has marked it seen.")
    user_id: strawberry.ID = strawberry.field(name="userID", description="Id of the user it is for.")
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")

    @classmethod
    def from_row(cls, row: models.Notification) -> Notification:
        return cls(
            id=row.id,
            status=row.status,
            message=row.message,
            has_been_seen=row.has_been_seen,
            user_id=row.user_id,
            created_at=iso(row.created_at),
        )
