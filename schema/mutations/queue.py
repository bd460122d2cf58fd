"""Root mutation fields of queue management: assign, prioritize, skip and unskip assets; consensus."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import queue
from resolvers.roles import described
from schema.inputs.where import AssetWhere
from schema.mutations.workflow import Where, outcome_of
from schema.types.asset import Asset
from schema.types.outcome import AssetActionOutcome


@strawberry.type
class QueueMutations:
    @strawberry.mutation(
        description=described(
            "assignAssets",
            "Replaces the assignees (`toBeLabeledBy`) of the matched assets by `userIds`; `[]` unassigns them. "
            "A user who is unknown, or neither a member of a matched asset's project nor an admin of its "
            "organization, is a BAD_USER_INPUT naming them, and nothing is written. An asset is declined, and "
            "left as it was, when this would unassign a labeler whose label on it is in progress (their latest "
            "label there is an AUTOSAVE); so are the ids or strict external ids `where` names that it does not "
            "act on.",
        )
    )
    async def assign_assets(
        self,
        info: strawberry.Info,
        where: Where,
        user_ids: Annotated[
            list[str],
            strawberry.argument(description="The new assignees, by user id (or email); at most 100."),
        ],
    ) -> AssetActionOutcome:
        return outcome_of(await queue.assign_assets(info.context, where, user_ids))

    @strawberry.mutation(
        description=described(
            "setAssetsPriority",
            "Sets the priority of the matched assets that wait for work: TODO (for labelers) and TO_REVIEW (for "
            "reviewers), not skipped. ONGOING, LABELED, REVIEWED and skipped assets are declined, and so are the "
            "ids or strict external ids `where` names that it does not act on.",
        )
    )
    async def set_assets_priority(
        self,
        info: strawberry.Info,
        where: Where,
        priority: Annotated[
            int, strawberry.argument(description="The priority to give every asset; higher comes first (default 0).")
        ],
    ) -> AssetActionOutcome:
        return outcome_of(await queue.set_assets_priority(info.context, where, priority))

    @strawberry.mutation(
        description=described(
            "skipAsset",
            "Skips the one asset `where` matches (`skipped` true, with `skipReason`) and returns it. An asset "
            "used for consensus cannot be skipped (BAD_USER_INPUT): it would leave the queue of every labeler "
            "assigned to it. Skipping a skipped asset replaces its reason.",
        )
    )
    async def skip_asset(
        self,
        info: strawberry.Info,
        reason: Annotated[
            str, strawberry.argument(description="Why the asset is skipped: required, at most 2000 characters.")
        ],
        where: Annotated[
            AssetWhere,
            strawberry.argument(description="The asset to skip: must match exactly one (e.g. `{id, project: {id}}`)."),
        ],
    ) -> Asset:
        return Asset.from_row(await queue.skip_asset(info.context, where, reason))

    @strawberry.mutation(
        description=described(
            "unskipAsset",
            "Puts a skipped asset back in the queue: clears `skipped` and `skipReason` (an asset not skipped is "
            "left as it is). Returns the asset id.",
        )
    )
    async def unskip_asset(
        self,
        info: strawberry.Info,
        project_id: Annotated[strawberry.ID, strawberry.argument(description="The asset's project.")],
        asset_id: Annotated[strawberry.ID, strawberry.argument(description="The asset to unskip.")],
    ) -> str | None:
        return await queue.unskip_asset(info.context, str(project_id), str(asset_id))

    @strawberry.mutation(
        description=described(
            "setAssetConsensus",
            "Kili's per-asset consensus switch of multi-step workflows. labelgate runs the V1 workflow, where "
            "this call does not apply (the Kili SDK says so too): once the project is known and your role "
            "allows the call, it answers BAD_USER_INPUT. Use `updatePropertiesInAssets` with `isUsedForConsensus`.",
        )
    )
    async def set_asset_consensus(
        self,
        info: strawberry.Info,
        project_id: Annotated[strawberry.ID, strawberry.argument(description="The asset's project.")],
        is_consensus: Annotated[bool, strawberry.argument(description="Turn consensus on (true) or off (false).")],
        asset_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The asset, by id (or give externalId).")
        ] = None,
        external_id: Annotated[
            str | None, strawberry.argument(description="The asset, by external id (or give assetId).")
        ] = None,
    ) -> bool:
        return await queue.set_asset_consensus(
            info.context,
            str(project_id),
            None if asset_id is None else str(asset_id),
            external_id,
            is_consensus,
        )
