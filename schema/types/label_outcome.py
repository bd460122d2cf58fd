"""What deleteLabelsWhere did to each label (LabelActionOutcome, the label twin of AssetActionOutcome)."""

from __future__ import annotations

import strawberry


@strawberry.type(description="A label of a bulk label mutation's outcome.")
class LabelRef:
    label_id: strawberry.ID = strawberry.field(description="Label id.")
    asset_id: strawberry.ID | None = strawberry.field(
        description="Id of the label's asset; null when no label has this id (any more)."
    )


@strawberry.type(description="A label whose write threw. labelgate never reports one: see `LabelActionOutcome`.")
class LabelFailure:
    label_id: strawberry.ID = strawberry.field(description="Label id, as given.")
    asset_id: strawberry.ID | None = strawberry.field(description="Id of the label's asset.")
    details: str | None = strawberry.field(description="Why the write failed.")


@strawberry.type(
    description=(
        "Per-label outcome of a bulk label mutation by `where`. The three lists together cover every label the "
        "call acted on and every id `where` names (`id`, `idIn`). Each call is one transaction: a write error "
        "fails the whole call as a GraphQL error and nothing is written, so `failed` is always empty."
    )
)
class LabelActionOutcome:
    succeeded: list[LabelRef] = strawberry.field(
        description="Labels deleted by this call, and named ids no label has (already gone, with a null assetId)."
    )
    declined: list[LabelRef] = strawberry.field(
        description="Named labels you may see that `where`'s other conditions exclude: left as they were."
    )
    failed: list[LabelFailure] = strawberry.field(
        description="Labels whose write threw. Always empty in labelgate: each call is one transaction."
    )
