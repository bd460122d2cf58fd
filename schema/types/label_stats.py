"""Statistics over labels: sources (label type and model), categories, and one asset's label statistics."""

from __future__ import annotations

import strawberry

from resolvers import label_stats
from schema.enums import LabelType


@strawberry.type(description="A source of labels: a label type and model name, with how many labels it gave.")
class LabelSource:
    label_type: LabelType = strawberry.field(description="The labels' type.")
    model_name: str | None = strawberry.field(description="The model that made them; null for labels without one.")
    count: int = strawberry.field(description="Matched labels of this type and model name.")
    asset_count: int = strawberry.field(description="Distinct assets those labels are on.")

    @classmethod
    def of(cls, source: label_stats.LabelSource) -> LabelSource:
        return cls(
            label_type=LabelType(source.label_type),
            model_name=source.model_name,
            count=source.count,
            asset_count=source.asset_count,
        )


@strawberry.type(
    description=(
        "An ontology category of one job, counted over labels: each classification answer and each object "
        "annotation having the category is one occurrence."
    )
)
class LabelCategory:
    job: str = strawberry.field(description="Job name (the top-level key of the json response).")
    category: str = strawberry.field(description="Category name.")
    count: int = strawberry.field(description="Occurrences: classification answers plus annotated objects.")
    label_count: int = strawberry.field(description="Labels with at least one occurrence.")
    asset_count: int = strawberry.field(description="Assets with at least one occurrence.")

    @classmethod
    def of(cls, row: label_stats.CategoryCount) -> LabelCategory:
        return cls(
            job=row.job,
            category=row.category,
            count=row.count,
            label_count=row.label_count,
            asset_count=row.asset_count,
        )


@strawberry.type(description="A number of labels of one type.")
class LabelTypeCount:
    label_type: LabelType = strawberry.field(description="Label type.")
    count: int = strawberry.field(description="Labels of this type.")


@strawberry.type(description="Occurrences of one category of one job in an annotation.")
class CategoryCount:
    job: str = strawberry.field(description="Job name.")
    category: str = strawberry.field(description="Category name.")
    count: int = strawberry.field(description="Occurrences: classification answers plus annotated objects.")


@strawberry.type(
    description=(
        "Label statistics of one asset (Datature's statistic: tags_count, total_annotations). `total` and "
        "`byType` count every label of the asset; `byCategory` and `annotationCount` count its current "
        "annotation only: its latest DEFAULT or REVIEW label (created time, then id), so that a review, "
        "which restates the labeler's answer, does not count objects twice."
    )
)
class LabelStats:
    total: int = strawberry.field(description="Labels of the asset, of every type.")
    by_type: list[LabelTypeCount] = strawberry.field(description="Labels per type; types it has none of are left out.")
    annotation_label_id: strawberry.ID | None = strawberry.field(
        description="The label `byCategory` counts: the latest DEFAULT or REVIEW label; null when there is none."
    )
    annotation_count: int = strawberry.field(
        description="Category occurrences in that label (Datature's total_annotations); 0 without one."
    )
    by_category: list[CategoryCount] = strawberry.field(
        description="Occurrences per job and category in that label, most first, then job and category."
    )

    @classmethod
    def of(cls, stats: label_stats.AssetLabelStats) -> LabelStats:
        return cls(
            total=stats.total,
            by_type=[LabelTypeCount(label_type=LabelType(t), count=n) for t, n in sorted(stats.by_type.items())],
            annotation_label_id=stats.annotation_label_id,
            annotation_count=stats.annotation_count,
            by_category=[CategoryCount(job=c.job, category=c.category, count=c.count) for c in stats.by_category],
        )
