"""What a bulk mutation by `where` did to each asset (the Kili SDK's AssetActionOutcome)."""

from __future__ import annotations

import strawberry


@strawberry.type(description="An asset of a bulk mutation's outcome.")
class AssetRef:
    asset_id: strawberry.ID = strawberry.field(
        description="Asset id; empty for an external id that no asset you may see has."
    )
    external_id: str | None = strawberry.field(
        description="Its external id; null when the asset no longer exists or you may not see it."
    )


@strawberry.type(description="An asset whose write threw. labelgate never reports one: see `AssetActionOutcome`.")
class AssetFailure:
    asset_id: strawberry.ID = strawberry.field(description="Asset id, as given.")
    external_id: str | None = strawberry.field(description="Its external id.")
    details: str | None = strawberry.field(description="Why the write failed.")


@strawberry.type(
    description=(
        "Per-asset outcome of a bulk mutation by `where`. The three lists together cover every asset the call "
        "acted on and every id or strict external id `where` names. `succeeded`: the assets that ended up in "
        "the state asked for. `declined`: the assets the request could not be applied to (their status does "
        "not allow it, `where`'s other conditions exclude them, or you may not see them); why is not carried. "
        "`failed`: the assets whose write threw, worth retrying as is. Each call is one transaction: a write "
        "error fails the whole call as a GraphQL error and nothing is written, so `failed` is always empty "
        "in labelgate."
    )
)
class AssetActionOutcome:
    succeeded: list[AssetRef] = strawberry.field(
        description=(
            "Assets now in the state asked for: changed by this call; for deleteAssets also an id no asset has "
            "(already gone) and a strict external id no asset you may see has (with an empty assetId)."
        )
    )
    declined: list[AssetRef] = strawberry.field(
        description=(
            "Assets left as they were: their status does not allow the change, `where`'s other conditions "
            "exclude them, or no asset you may see has the id or strict external id. deleteAssets declines only "
            "assets that still exist: those `where` excludes and those you may not see."
        )
    )
    failed: list[AssetFailure] = strawberry.field(
        description=(
            "Assets whose write threw. Always empty in labelgate: each call is one transaction, so a write "
            "error fails the whole call as a GraphQL error and nothing is written."
        )
    )
