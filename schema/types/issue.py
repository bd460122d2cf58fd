"""Issues: a reviewer's remark or a labeler's question on an asset (Kili's issues and questions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.db import models
from schema.enums import IssueStatus, IssueType
from schema.timefmt import iso
from schema.types.asset import Asset
from schema.types.page import PageInfo
from schema.types.project import Project
from schema.types.user import User

if TYPE_CHECKING:
    from schema.types.label import Label


@strawberry.type(
    description=(
        "A message of an issue's thread. labelgate keeps one per issue, its text: the comment has the issue's "
        "id, author and times, and an issue without text has no comment."
    )
)
class IssueComment:
    id: strawberry.ID = strawberry.field(description="Comment id (the issue's id: one comment per issue).")
    issue_id: strawberry.ID = strawberry.field(description="Id of the issue.")
    text: str = strawberry.field(description="The remark or the question.")
    author_id_user: strawberry.ID = strawberry.field(description="Id of the author (the issue's author).")
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")
    updated_at: str = strawberry.field(description="Last update time of the issue, ISO-8601 UTC.")

    @strawberry.field(description="The author.")
    async def author(self, info: strawberry.Info) -> User:
        return User.from_row(await info.context.loaders.user.load(self.author_id_user))


@strawberry.type(
    description=(
        "An issue raised on an asset (Kili's issues and questions): a reviewer's remark (type ISSUE), optionally "
        "on one label and one object of it, or a labeler's question (type QUESTION). Status OPEN, SOLVED or "
        "CANCELLED. Visible to everyone who may see the asset's project."
    )
)
class Issue:
    id: strawberry.ID = strawberry.field(description="Issue id.")
    project_id: strawberry.ID = strawberry.field(description="Id of the asset's project.")
    asset_id: strawberry.ID = strawberry.field(description="Id of the asset the issue is about.")
    label_id: strawberry.ID | None = strawberry.field(
        description="Id of the label the issue is about; null for an issue on the asset, or once the label is deleted."
    )
    object_mid: str | None = strawberry.field(description="The object of the label the issue is about (its `mid`).")
    author_id: strawberry.ID = strawberry.field(description="Id of the user who raised the issue.")
    issue_type: IssueType = strawberry.field(name="type", description="ISSUE or QUESTION.")
    status: IssueStatus = strawberry.field(description="OPEN, SOLVED or CANCELLED.")
    text: str | None = strawberry.field(description="The remark or the question.")
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")
    updated_at: str = strawberry.field(description="Last update time (e.g. of the status), ISO-8601 UTC.")

    @classmethod
    def from_row(cls, row: models.Issue) -> Issue:
        return cls(
            id=row.id,
            project_id=row.project_id,
            asset_id=row.asset_id,
            label_id=row.label_id,
            object_mid=row.object_mid,
            author_id=row.author_id,
            issue_type=IssueType(row.issue_type),
            status=IssueStatus(row.status),
            text=row.text,
            created_at=iso(row.created_at),
            updated_at=iso(row.updated_at),
        )

    @strawberry.field(description="The user who raised the issue.")
    async def author(self, info: strawberry.Info) -> User:
        return User.from_row(await info.context.loaders.user.load(self.author_id))

    @strawberry.field(description="The asset the issue is about; null if the viewer may not see it.")
    async def asset(self, info: strawberry.Info) -> Asset | None:
        row = await info.context.loaders.asset.load(self.asset_id)
        return None if row is None else Asset.from_row(row)

    @strawberry.field(description="The label the issue is about; null for an issue on the asset.")
    async def label(self, info: strawberry.Info) -> Annotated[Label, strawberry.lazy("schema.types.label")] | None:
        from schema.types.label import Label  # noqa: PLC0415  (label.py imports asset.py, which refers to Issue)

        if self.label_id is None:
            return None
        row = await info.context.loaders.label.load(self.label_id)
        return None if row is None else Label.from_row(row)

    @strawberry.field(description="The project of the issue's asset.")
    async def project(self, info: strawberry.Info) -> Project | None:
        row = await info.context.loaders.project.load(self.project_id)
        return None if row is None else Project.from_row(row)

    @strawberry.field(description="The issue's thread: its text as one comment (none when it has no text).")
    def comments(self) -> list[IssueComment]:
        if self.text is None:
            return []
        return [
            IssueComment(
                id=self.id,
                issue_id=self.id,
                text=self.text,
                author_id_user=self.author_id,
                created_at=self.created_at,
                updated_at=self.updated_at,
            )
        ]


@strawberry.type(description="A keyset page of issues.")
class IssueConnection:
    nodes: list[Issue] = strawberry.field(description="The issues of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")
