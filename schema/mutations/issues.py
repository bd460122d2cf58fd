"""Root mutation fields: issues (Kili's createIssues and updatePropertiesInIssue)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import issue_writes
from resolvers.roles import described
from schema.inputs.data import IssueData, IssueToCreate
from schema.inputs.where import AssetWhere, IssueWhere
from schema.types.issue import Issue


@strawberry.type
class IssueMutations:
    @strawberry.mutation(
        description=described(
            "createIssues",
            "Creates issues, in one transaction, and returns them in input order (status OPEN, author the viewer). "
            "Each names a label (the issue is on its asset) or an asset; an archived project is LOCKED.",
        )
    )
    async def create_issues(
        self,
        info: strawberry.Info,
        issues: Annotated[list[IssueToCreate], strawberry.argument(description="The issues, at most 1000.")],
        where: Annotated[
            AssetWhere,
            strawberry.argument(
                description="The assets issues may be created on (the SDK sends `{project: {id}}`): every issue's "
                "asset must match."
            ),
        ],
    ) -> list[Issue]:
        return [Issue.from_row(r) for r in await issue_writes.create_issues(info.context, issues, where)]

    @strawberry.mutation(
        description=described(
            "updatePropertiesInIssue",
            "Changes the status of the one issue `where.id` names (OPEN, SOLVED, CANCELLED; any status may follow "
            "any other); an archived project is LOCKED.",
        )
    )
    async def update_properties_in_issue(
        self,
        info: strawberry.Info,
        data: Annotated[IssueData, strawberry.argument(description="The changes.")],
        where: Annotated[
            IssueWhere,
            strawberry.argument(
                description="The issue: `id` is required; other conditions must hold too (else NOT_FOUND)."
            ),
        ],
    ) -> Issue:
        return Issue.from_row(await issue_writes.update_issue(info.context, data, where))
