"""Assets: the items to label (an image, a video, a text, a point cloud...)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.db import models
from resolvers.signed_urls import asset_url, url_expires_at
from schema.enums import AssetStatus, StepStatus
from schema.timefmt import iso
from schema.types.page import PageInfo
from schema.types.project import Project
from schema.types.user import User

ExpiresIn = Annotated[
    int | None,
    strawberry.argument(
        description="Seconds the signed URL stays valid, from 1 to 604800 (7 days); default the server's "
        "LABELGATE_SIGNED_GET_SECONDS (900)."
    ),
]

if TYPE_CHECKING:
    from schema.types.issue import Issue
    from schema.types.label import Label
    from schema.types.label_stats import LabelStats
    from schema.types.session import Session
    from schema.types.set import Set


@strawberry.type(description="Width and height of an image or video frame, in pixels.")
class Resolution:
    width: float = strawberry.field(description="Width in pixels.")
    height: float = strawberry.field(description="Height in pixels.")


@strawberry.type(description="Where an asset stands in a V2/V3 workflow. labelgate runs V1: never set.")
class AssetStep:
    name: str | None = strawberry.field(description="Step name.")
    step_group_name: str | None = strawberry.field(description="Name of the step's group.")
    status: StepStatus | None = strawberry.field(description="Status of the asset in the step.")


@strawberry.type(description="An item to label: an external URL or an object in labelgate's bucket, with its metadata.")
class Asset:
    id: strawberry.ID = strawberry.field(description="Asset id (clients may supply their own, e.g. cuids).")
    external_id: str = strawberry.field(description="The client's id for the asset, unique in its project.")
    project_id: strawberry.ID = strawberry.field(description="Id of the project the asset belongs to.")
    json_content: str | None = strawberry.field(description="Extra content (e.g. rich text), as stored.")
    json_metadata: str = strawberry.field(description='Free metadata, as a JSON-encoded object string ("{}" if none).')
    created_at: str = strawberry.field(description="Creation time, ISO-8601 UTC.")
    updated_at: str = strawberry.field(description="Last update time, ISO-8601 UTC.")
    is_honeypot: bool = strawberry.field(description="True for honeypot (gold standard) assets.")
    is_used_for_consensus: bool = strawberry.field(description="True when several labelers label this asset.")
    skipped: bool = strawberry.field(description="True when a labeler skipped the asset.")
    skip_reason: str | None = strawberry.field(
        description="Why the asset was skipped (skipAsset); null when it is not skipped or was skipped without one."
    )
    status: AssetStatus = strawberry.field(description="Workflow status (V1: TODO, ONGOING, LABELED, ...).")
    priority: int = strawberry.field(description="Labeling priority: higher comes first.")
    consensus_mark: float | None = strawberry.field(description="Agreement between labelers, from 0 to 1.")
    honeypot_mark: float | None = strawberry.field(description="Agreement with the honeypot answer, from 0 to 1.")
    inference_mark: float | None = strawberry.field(description="Agreement with the model's prediction, from 0 to 1.")
    resolution: Resolution | None = strawberry.field(description="Width and height in pixels, when known.")
    current_step: AssetStep | None = strawberry.field(description="V2/V3 workflow step: always null (V1 workflow).")
    ocr_metadata: str | None = strawberry.field(description="OCR metadata: always null (labelgate runs no OCR).")
    mime_type: str | None = strawberry.field(description="MIME type of the content, when known.")
    size_bytes: float | None = strawberry.field(
        description="Size of the content in bytes, when known (a Float: GraphQL Int stops at 2 GiB)."
    )
    sensor: str | None = strawberry.field(description="Sensor that captured the asset, e.g. 'front_camera'.")
    timestamp: str | None = strawberry.field(description="Capture time on its session's timeline, ISO-8601 UTC.")
    session_id: strawberry.ID | None = strawberry.field(description="Id of the session the asset belongs to, if any.")
    tags: list[str] = strawberry.field(
        description="The asset's tags (addTagsToAssets, removeTagsFromAssets): each once, sorted by code point."
    )
    raw_content: strawberry.Private[str]
    storage_key: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: models.Asset) -> Asset:
        has_resolution = row.width is not None and row.height is not None
        return cls(
            id=row.id,
            external_id=row.external_id,
            project_id=row.project_id,
            json_content=row.json_content,
            json_metadata=json.dumps(row.json_metadata if row.json_metadata is not None else {}),
            created_at=iso(row.created_at),
            updated_at=iso(row.updated_at),
            is_honeypot=row.is_honeypot,
            is_used_for_consensus=row.is_used_for_consensus,
            skipped=row.skipped,
            skip_reason=row.skip_reason,
            status=AssetStatus(row.status),
            priority=row.priority,
            consensus_mark=row.consensus_mark,
            honeypot_mark=row.honeypot_mark,
            inference_mark=row.inference_mark,
            resolution=Resolution(width=row.width, height=row.height) if has_resolution else None,
            current_step=None,
            ocr_metadata=None,
            mime_type=row.mime_type,
            size_bytes=row.size_bytes,
            sensor=row.sensor,
            timestamp=iso(row.timestamp),
            session_id=row.session_id,
            tags=list(row.tags or []),
            raw_content=row.content,
            storage_key=row.storage_key,
        )

    @strawberry.field(
        description="Where to fetch the asset: a short-lived signed URL for objects in labelgate's bucket, "
        "the external URL otherwise."
    )
    def url(self, info: strawberry.Info, expires_in: ExpiresIn = None) -> str:
        return asset_url(info.context, self.storage_key, self.raw_content, expires_in)

    @strawberry.field(
        description="When `url` stops working (ISO-8601 UTC), for the same `expiresIn`: every URL of a request "
        "is signed at the same instant. Null for external content, whose URL labelgate does not sign."
    )
    def url_expires_at(self, info: strawberry.Info, expires_in: ExpiresIn = None) -> str | None:
        return iso(url_expires_at(info.context, self.storage_key, expires_in))

    @strawberry.field(
        description="Kili's content: the URL to fetch (the same as `url`), or the raw content when it is not a URL."
    )
    def content(self, info: strawberry.Info) -> str:
        return self.url(info)

    @strawberry.field(description="The users the asset is assigned to (Kili's toBeLabeledBy), by email.")
    async def to_be_labeled_by(self, info: strawberry.Info) -> list[User]:
        return [User.from_row(u) for u in await info.context.loaders.assignees_of_asset.load(self.id)]

    @strawberry.field(description="All labels of the asset, oldest first.")
    async def labels(self, info: strawberry.Info) -> list[Annotated[Label, strawberry.lazy("schema.types.label")]]:
        from schema.types.label import Label  # noqa: PLC0415  (label.py imports this module)

        return [Label.from_row(r) for r in await info.context.loaders.labels_of_asset.load(self.id)]

    @strawberry.field(
        description="Label statistics: labels per type, and category occurrences in the current annotation "
        "(the latest DEFAULT or REVIEW label)."
    )
    async def label_stats(
        self, info: strawberry.Info
    ) -> Annotated[LabelStats, strawberry.lazy("schema.types.label_stats")]:
        from schema.types.label_stats import LabelStats  # noqa: PLC0415  (kept beside the other label types)

        return LabelStats.of(await info.context.loaders.label_stats_of_asset.load(self.id))

    @strawberry.field(description="The newest label of the asset, of any author or type; null when unlabeled.")
    async def latest_label(
        self, info: strawberry.Info
    ) -> Annotated[Label, strawberry.lazy("schema.types.label")] | None:
        from schema.types.label import Label  # noqa: PLC0415  (label.py imports this module)

        row = await info.context.loaders.latest_label_of_asset.load(self.id)
        return None if row is None else Label.from_row(row)

    @strawberry.field(description="The issues and questions raised on the asset, oldest first.")
    async def issues(self, info: strawberry.Info) -> list[Annotated[Issue, strawberry.lazy("schema.types.issue")]]:
        from schema.types.issue import Issue  # noqa: PLC0415  (issue.py imports this module)

        return [Issue.from_row(r) for r in await info.context.loaders.issues_of_asset.load(self.id)]

    @strawberry.field(description="The project the asset belongs to.")
    async def project(self, info: strawberry.Info) -> Project:
        return Project.from_row(await info.context.loaders.project.load(self.project_id))

    @strawberry.field(description="The sets the asset belongs to, oldest first.")
    async def sets(self, info: strawberry.Info) -> list[Annotated[Set, strawberry.lazy("schema.types.set")]]:
        from schema.types.set import Set  # noqa: PLC0415  (set.py may refer to Asset)

        return [Set.from_row(r) for r in await info.context.loaders.sets_of_asset.load(self.id)]

    @strawberry.field(description="The session (recording) the asset belongs to, if any.")
    async def session(
        self, info: strawberry.Info
    ) -> Annotated[Session, strawberry.lazy("schema.types.session")] | None:
        from schema.types.session import Session  # noqa: PLC0415  (session.py may refer to Asset)

        if self.session_id is None:
            return None
        row = await info.context.loaders.session.load(self.session_id)
        return None if row is None else Session.from_row(row)


@strawberry.type(description="A keyset page of assets.")
class AssetConnection:
    nodes: list[Asset] = strawberry.field(description="The assets of this page, in the list's order (`orderBy`).")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")
