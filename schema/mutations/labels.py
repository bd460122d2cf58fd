"""Root mutation fields: appending labels (Kili's appendManyLabels and appendToLabels)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import label_writes
from resolvers.roles import described
from schema.inputs.data import AppendManyLabelsData, AppendToLabelsData
from schema.inputs.where import AssetWhere
from schema.types.label import Label


@strawberry.type
class LabelMutations:
    @strawberry.mutation(
        description=described(
            "appendManyLabels",
            "Appends labels of one type, in one transaction, and returns them in input order. A DEFAULT label "
            "makes its asset LABELED, a REVIEW label REVIEWED, an AUTOSAVE label moves a TODO asset to ONGOING.",
        )
    )
    async def append_many_labels(
        self,
        info: strawberry.Info,
        data: Annotated[AppendManyLabelsData, strawberry.argument(description="The labels.")],
        where: Annotated[
            AssetWhere,
            strawberry.argument(description="The assets that may be labeled: every label's assetID must match."),
        ],
    ) -> list[Label]:
        rows = await label_writes.append_many_labels(info.context, data, where)
        return [Label.from_row(r) for r in rows]

    @strawberry.mutation(
        description=described(
            "appendToLabels",
            "Appends one label to the one asset `where` matches (Kili's older form of appendManyLabels).",
        )
    )
    async def append_to_labels(
        self,
        info: strawberry.Info,
        data: Annotated[AppendToLabelsData, strawberry.argument(description="The label.")],
        where: Annotated[AssetWhere, strawberry.argument(description="The asset: must match exactly one.")],
    ) -> Label:
        return Label.from_row(await label_writes.append_to_labels(info.context, data, where))
