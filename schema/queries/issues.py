"""Root fields: issues (Kili's `issues` / `countIssues`, plus a keyset connection)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import issues
from schema.inputs.where import IssueWhere
from schema.queries.args import FIRST_DEFAULT, SKIP_DEFAULT, After, First, Skip, everything
from schema.types.issue import Issue, IssueConnection
from schema.types.page import split_page

Where = Annotated[
    IssueWhere, strawberry.argument(description="Which issues; `{}` for all the viewer may see (Kili's IssueWhere).")
]
ALL = everything(IssueWhere)


@strawberry.type
class IssueQueries:
    @strawberry.field(
        description=(
            "Issues and questions on the assets the viewer may see (every member of a project sees its issues), "
            "oldest first (created time, then id)."
        )
    )
    async def issues(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, skip: Skip = SKIP_DEFAULT
    ) -> list[Issue]:
        return [Issue.from_row(r) for r in await issues.list_issues(info.context, where, first, skip)]

    @strawberry.field(description="Number of issues `issues` would list for the same `where`.")
    async def count_issues(self, info: strawberry.Info, where: Where = ALL) -> int:
        return await issues.count_issues(info.context, where)

    @strawberry.field(description="Issues as a keyset page (for UIs that page deep).")
    async def issues_connection(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, after: After = None
    ) -> IssueConnection:
        page, page_info = split_page(await issues.page_issues(info.context, where, first, after), first, after)
        return IssueConnection(nodes=[Issue.from_row(r) for r in page], page_info=page_info)
