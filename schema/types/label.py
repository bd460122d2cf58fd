"""Labels: an author's answer (a json response) on an asset."""

from __future__ import annotations

import json

import strawberry

from gateway.db import models
from schema.enums import LabelType
from schema.timefmt import iso
from schema.types.annotation import Annotation
from schema.types.asset import Asset
from schema.types.page import PageInfo
from schema.types.user import User


@strawberry.type(description="An author's annotation of an asset: the json response, following the project's ontology.")
class Label:
    id: strawberry.ID = strawberry.field(description="Label id.")
    asset_id: strawberry.ID = strawberry.field(description="Id of the labeled asset.")
    project_id: strawberry.ID = strawberry.field(description="Id of the asset's project.")
    author_id: strawberry.ID = strawberry.field(description="Id of the author.")
    json_response: str = strawberry.field(description='The annotation, as a JSON-encoded object string ("{}" if none).')
    json_response_url: str | None = strawberry.field(
        description="Always null: labelgate returns json responses inline, in `jsonResponse`."
    )
    label_type: LabelType = strawberry.field(description="DEFAULT, REVIEW, PREDICTION, INFERENCE or AUTOSAVE.")
    seconds_to_label: float | None = strawberry.field(description="Time the author spent, in seconds.")
    model_name: str | None = strawberry.field(description="Model that produced a PREDICTION or INFERENCE label.")
    consensus_mark: float | None = strawberry.field(description="Agreement with other labelers, from 0 to 1.")
    honeypot_mark: float | None = strawberry.field(description="Agreement with the honeypot answer, from 0 to 1.")
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")

    @classmethod
    def from_row(cls, row: models.Label) -> Label:
        return cls(
            id=row.id,
            asset_id=row.asset_id,
            project_id=row.project_id,
            author_id=row.author_id,
            json_response=json.dumps(row.json_response if row.json_response is not None else {}),
            json_response_url=None,
            label_type=LabelType(row.label_type),
            seconds_to_label=row.seconds_to_label,
            model_name=row.model_name,
            consensus_mark=row.consensus_mark,
            honeypot_mark=row.honeypot_mark,
            created_at=iso(row.created_at),
        )

    @strawberry.field(
        description=(
            "Kili's annotation records of the label. Always empty: labelgate keeps a label as its `jsonResponse` "
            "only (given no annotations, the Kili SDK reads `jsonResponse`)."
        )
    )
    def annotations(self) -> list[Annotation]:
        return []

    @strawberry.field(description="The author.")
    async def author(self, info: strawberry.Info) -> User:
        return User.from_row(await info.context.loaders.user.load(self.author_id))

    @strawberry.field(description="True when this is the newest label of its author on its asset (any label type).")
    async def is_latest_label_for_user(self, info: strawberry.Info) -> bool:
        return await info.context.loaders.label_is_latest_for_user.load(self.id)

    @strawberry.field(description="The labeled asset; null if the viewer may not see it.")
    async def asset(self, info: strawberry.Info) -> Asset | None:
        row = await info.context.loaders.asset.load(self.asset_id)
        return None if row is None else Asset.from_row(row)


@strawberry.type(description="A keyset page of labels.")
class LabelConnection:
    nodes: list[Label] = strawberry.field(description="The labels of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")
