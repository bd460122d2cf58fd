"""What a bulk mutation by `where` did to each asset."""

from __future__ import annotations

import strawberry


@strawberry.type(description="An asset a bulk mutation acted on, or declined to.")
class AssetRef:
    asset_id: strawberry.ID = strawberry.field(description="Asset id.")
    external_id: str | None = strawberry.field(description="Its external id.")


@strawberry.type(description="An asset a bulk mutation could not act on, and why.")
class AssetFailure:
    asset_id: strawberry.ID = strawberry.field(description="Asset id, as given.")
    external_id: str | None = strawberry.field(description="Its external id, when the asset exists.")
    details: str | None = strawberry.field(description="Why it failed.")


@strawberry.type(
    description=(
        "Per-asset outcome of a bulk mutation: `succeeded` were changed; `declined` exist but their state "
        "does not allow the change (e.g. adding a TODO asset to review); `failed` could not be acted on "
        "(e.g. an id in `idIn` that names no asset you may see)."
    )
)
class AssetActionOutcome:
    succeeded: list[AssetRef] = strawberry.field(description="Assets changed.")
    declined: list[AssetRef] = strawberry.field(description="Assets left as they were: their state forbids it.")
    failed: list[AssetFailure] = strawberry.field(description="Assets that could not be acted on.")
