"""Root mutation fields: appending labels (Kili's appendManyLabels and appendToLabels) and deleting them."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import label_deletes, label_writes
from resolvers.roles import described
from schema.inputs.data import AppendManyLabelsData, AppendToLabelsData
from schema.inputs.where import AssetWhere, LabelWhere
from schema.types.label import Label
from schema.types.label_outcome import LabelActionOutcome, LabelRef


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

    @strawberry.mutation(
        description=described(
            "deleteLabelsWhere",
            "Deletes the labels `where` matches (at most 10,000), in one transaction, and recomputes the status "
            "of every asset that lost a DEFAULT, REVIEW or AUTOSAVE label: REVIEWED falls back to LABELED while a "
            "DEFAULT label remains; LABELED, TO_REVIEW and REVIEWED fall back to ONGOING while only an AUTOSAVE "
            "remains, else to TODO; deleting never moves an asset forward. One matched label you may not delete "
            "refuses the whole call. SceneBox's delete_annotations and remove_annotation_sources "
            "(`where: {typeIn, modelNameIn, asset}`).",
        )
    )
    async def delete_labels_where(
        self,
        info: strawberry.Info,
        where: Annotated[
            LabelWhere,
            strawberry.argument(
                description="Which labels, among those you may see; at least one condition (e.g. `idIn`)."
            ),
        ],
    ) -> LabelActionOutcome:
        result = await label_deletes.delete_labels(info.context, where)
        return LabelActionOutcome(
            succeeded=[LabelRef(label_id=k.label_id, asset_id=k.asset_id) for k in result.succeeded],
            declined=[LabelRef(label_id=k.label_id, asset_id=k.asset_id) for k in result.declined],
            failed=[],
        )

    @strawberry.mutation(
        description=described(
            "deleteLabels",
            "Deletes these labels (the Kili SDK's `delete_labels`) as deleteLabelsWhere(where: {idIn: ids}) does, "
            "statuses included, and returns the ids now gone (deleted, or no label had them), in the order given.",
        )
    )
    async def delete_labels(
        self,
        info: strawberry.Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Label ids (at most 10,000).")],
    ) -> list[strawberry.ID]:
        return [strawberry.ID(i) for i in await label_deletes.delete_labels_by_id(info.context, [str(i) for i in ids])]
