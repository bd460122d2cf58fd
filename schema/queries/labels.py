"""Root fields: labels (Kili's `labels` / `countLabels`, plus a keyset connection)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import label_stats, labels
from schema.inputs.where import LabelWhere
from schema.queries.args import FIRST_DEFAULT, SKIP_DEFAULT, After, First, Skip, everything
from schema.types.label import Label, LabelConnection
from schema.types.label_stats import LabelCategory, LabelSource
from schema.types.page import split_page

Where = Annotated[
    LabelWhere, strawberry.argument(description="Which labels; `{}` for all the viewer may see (Kili's LabelWhere).")
]
ALL = everything(LabelWhere)


@strawberry.type
class LabelQueries:
    @strawberry.field(description="Labels the viewer may see, oldest first (created time, then id).")
    async def labels(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, skip: Skip = SKIP_DEFAULT
    ) -> list[Label]:
        return [Label.from_row(r) for r in await labels.list_labels(info.context, where, first, skip)]

    @strawberry.field(description="Number of labels `labels` would list for the same `where`.")
    async def count_labels(self, info: strawberry.Info, where: Where = ALL) -> int:
        return await labels.count_labels(info.context, where)

    @strawberry.field(description="Labels as a keyset page (for UIs that page deep).")
    async def labels_connection(
        self, info: strawberry.Info, where: Where = ALL, first: First = FIRST_DEFAULT, after: After = None
    ) -> LabelConnection:
        page, page_info = split_page(await labels.page_labels(info.context, where, first, after), first, after)
        return LabelConnection(nodes=[Label.from_row(r) for r in page], page_info=page_info)

    @strawberry.field(
        description=(
            "Distinct sources of the matched labels: (label type, model name) with their label and asset counts, "
            "most labels first (SceneBox get_annotation_sources)."
        )
    )
    async def label_sources(self, info: strawberry.Info, where: Where = ALL) -> list[LabelSource]:
        return [LabelSource.of(s) for s in await label_stats.label_sources(info.context, where)]

    @strawberry.field(
        description=(
            "Category histogram of the matched labels: per job and category, the occurrences (classification "
            "answers plus annotated objects) and the labels and assets having it, most occurrences first "
            "(Picsellia's label histogram, SceneBox get_annotation_labels). Every matched label counts, so a "
            "reviewed object counts in the DEFAULT and in the REVIEW label: narrow `where` (e.g. `typeIn: [REVIEW]`, "
            "or `modelNameIn`) to count one kind of answer. Categories are read as the label `search` reads them."
        )
    )
    async def label_categories(self, info: strawberry.Info, where: Where = ALL) -> list[LabelCategory]:
        return [LabelCategory.of(c) for c in await label_stats.label_categories(info.context, where)]
