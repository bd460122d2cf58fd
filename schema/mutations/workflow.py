"""Root mutation fields of the V1 workflow: add to review, send back to queue, delete (each by AssetWhere)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import workflow
from resolvers.roles import described
from schema.inputs.where import AssetWhere
from schema.types.outcome import AssetActionOutcome, AssetRef

Where = Annotated[
    AssetWhere,
    strawberry.argument(
        description="Which assets, among those the viewer may see; at least one condition (e.g. `idIn`)."
    ),
]


def outcome_of(result: workflow.Outcome) -> AssetActionOutcome:
    """`failed` is always empty: a write error fails the whole call (one transaction), nothing is written."""
    return AssetActionOutcome(
        succeeded=[AssetRef(asset_id=a.asset_id, external_id=a.external_id) for a in result.succeeded],
        declined=[AssetRef(asset_id=a.asset_id, external_id=a.external_id) for a in result.declined],
        failed=[],
    )


@strawberry.type
class WorkflowMutations:
    @strawberry.mutation(
        description=described(
            "addAssetsToReview",
            "Adds LABELED and REVIEWED assets to review (status TO_REVIEW); assets in other states, and ids or "
            "strict external ids `where` names that it does not act on, are declined.",
        )
    )
    async def add_assets_to_review(self, info: strawberry.Info, where: Where) -> AssetActionOutcome:
        return outcome_of(await workflow.add_assets_to_review(info.context, where))

    @strawberry.mutation(
        description=described(
            "sendAssetsBackToQueue",
            "Sends LABELED, TO_REVIEW and REVIEWED assets back to the labeling queue (status ONGOING); TODO and "
            "ONGOING assets, and ids or strict external ids `where` names that it does not act on, are declined.",
        )
    )
    async def send_assets_back_to_queue(self, info: strawberry.Info, where: Where) -> AssetActionOutcome:
        return outcome_of(await workflow.send_assets_back_to_queue(info.context, where))

    @strawberry.mutation(
        description=described(
            "deleteAssets",
            "Deletes the matched assets with their labels, set memberships and assignees; their stored objects "
            "are removed once the deletion has committed. An id no asset has (e.g. already deleted), or a strict "
            "external id no asset you may see has, succeeds: it is gone, as asked; a named asset that still exists "
            "but that `where` excludes or you may not see is declined.",
        )
    )
    async def delete_assets(self, info: strawberry.Info, where: Where) -> AssetActionOutcome:
        return outcome_of(await workflow.delete_assets(info.context, where))
