"""Mutation inputs with Kili's names and shapes (the SDK declares its variables with these type names).

JSON values travel as JSON-encoded strings. Arrays of `AppendManyAssetsData` are parallel: item i of
each array describes asset i; arrays left out take their defaults.
"""

from __future__ import annotations

import strawberry

from schema.enums import ComplianceTag, InputType, IssueStatus, IssueType, LabelType, ProjectRole
from schema.scalars import JSON

F = strawberry.field


@strawberry.input(description="A new project.")
class CreateProjectData:
    title: str = F(description="Title.")
    description: str | None = F(default=None, description="Description.")
    input_type: InputType | None = F(default=None, description="Kind of data to label (default IMAGE).")
    json_interface: str | None = F(
        default=None, description='The label ontology as a JSON-encoded object string (`"null"` for none).'
    )
    from_demo_project: str | None = F(default=None, description="Not supported: must be left out.")
    compliance_tags: list[ComplianceTag] | None = F(default=None, description="Accepted and ignored.")
    pixel_labeling: bool | None = F(default=None, description="Accepted and ignored.")
    instructions: str | None = F(default=None, description="Instructions for labelers.")
    tags: list[str] | None = F(default=None, description="Tags.")


@strawberry.input(description="Changes to a project: fields left out stay as they are.")
class UpdateProjectData:
    title: str | None = F(default=None, description="New title.")
    description: str | None = F(default=None, description="New description.")
    json_interface: str | None = F(default=None, description="New ontology, a JSON-encoded object string.")
    instructions: str | None = F(default=None, description="New instructions.")
    tags: list[str] | None = F(default=None, description="New tags (replace the old ones).")
    starred: bool | None = F(default=None, description="Star or unstar.")
    archived: bool | None = F(default=None, description="Archive (true) or restore (false).")


@strawberry.input(description="A project member to add or whose role to change.")
class ProjectMemberData:
    project_id: strawberry.ID = F(name="projectID", description="The project.")
    user: str = F(description="The user: id or email, of the project's organization.")
    role: ProjectRole = F(description="The role to give.")


@strawberry.input(description="New assets, as parallel arrays (Kili's shape).")
class AppendManyAssetsData:
    content_array: list[str] | None = F(
        default=None,
        description=(
            "Content of each asset: an external http(s) URL, a signed URL or key of an object uploaded "
            "to labelgate's storage (see createUploadBucketSignedUrls), or raw text for TEXT projects."
        ),
    )
    external_id_array: list[str] | None = F(
        default=None, name="externalIDArray", description="External ids, unique in the project (default: the id)."
    )
    id_array: list[strawberry.ID] | None = F(
        default=None, name="idArray", description="Client-chosen asset ids (the SDK sends cuids), kept as given."
    )
    is_honeypot_array: list[bool] | None = F(default=None, description="Honeypot flags.")
    json_content_array: list[str] | None = F(default=None, description="Rich content (text, OCR...), as strings.")
    json_metadata_array: list[str] | None = F(
        default=None, description="Metadata of each asset, as a JSON-encoded object string."
    )
    session_id_array: list[strawberry.ID | None] | None = F(
        default=None,
        name="sessionIDArray",
        description="The session (recording, of the same project) each asset sits in; null: none.",
    )
    timestamp_array: list[str | None] | None = F(
        default=None, description="Each asset's instant on its session's timeline, ISO-8601; null: none."
    )
    sensor_array: list[str | None] | None = F(
        default=None, description="The sensor that recorded each asset, e.g. 'cam_front'; null: none."
    )
    set_id_array: list[list[strawberry.ID] | None] | None = F(
        default=None,
        name="setIDArray",
        description="The sets (of the same project, unlocked) each asset joins at ingest; null: none.",
    )
    extend_sessions: bool = F(
        default=True,
        description="A timestamp outside its session's span widens the span (true) or refuses the call (false).",
    )


@strawberry.input(
    description=(
        "New assets for appendManyAssetsAsynchronously (big images, TIFF/JP2/NITF, videos), as parallel "
        "arrays. labelgate imports them synchronously, exactly as appendManyAssets."
    )
)
class AppendManyAssetsAsynchronouslyData:
    content_array: list[str] | None = F(default=None, description="Contents.")
    multi_layer_content_array: JSON | None = F(default=None, description="Multi-layer contents.")
    json_content_array: list[str] | None = F(default=None, description="Rich contents.")
    external_id_array: list[str] | None = F(default=None, name="externalIDArray", description="External ids.")
    id_array: list[strawberry.ID] | None = F(default=None, name="idArray", description="Asset ids.")
    json_metadata_array: list[str] | None = F(default=None, description="Metadata, JSON-encoded.")
    upload_type: str | None = F(default=None, description="TILED_IMAGE, GEO_SATELLITE, NATIVE_VIDEO or FRAME_VIDEO.")


@strawberry.input(description="Width and height of an image or a video frame.")
class ResolutionInput:
    width: float = F(description="Width in pixels.")
    height: float = F(description="Height in pixels.")


@strawberry.input(description="Resolution of one page of a PDF.")
class PageResolutionInput:
    page_number: int = F(description="Page number.")
    width: float = F(description="Width.")
    height: float = F(description="Height.")
    rotation: int | None = F(default=None, description="Rotation in degrees.")


@strawberry.input(description="Asset properties to change: only the fields given are written. Status never is.")
class AssetData:
    external_id: str | None = F(default=None, description="New external id (unique in the project).")
    priority: int | None = F(default=None, description="Labeling priority (higher first).")
    json_metadata: str | None = F(default=None, description="New metadata, a JSON-encoded object string (replaces).")
    consensus_mark: float | None = F(default=None, description="Consensus mark.")
    honeypot_mark: float | None = F(default=None, description="Honeypot mark.")
    to_be_labeled_by: list[str] | None = F(
        default=None, description="Users (ids or emails, project members) to assign; added to the current ones."
    )
    should_reset_to_be_labeled_by: bool | None = F(
        default=None, description="When true, `toBeLabeledBy` replaces the current assignees."
    )
    content: str | None = F(default=None, description="New content (URL, uploaded object, or text).")
    json_content: str | None = F(default=None, description="New rich content.")
    is_used_for_consensus: bool | None = F(default=None, description="Use the asset for consensus.")
    is_honeypot: bool | None = F(default=None, description="Honeypot flag.")
    page_resolutions: list[PageResolutionInput] | None = F(default=None, description="Accepted and ignored.")
    resolution: ResolutionInput | None = F(default=None, description="Resolution of the asset.")
    session_id: strawberry.ID | None = F(
        default=None, description="Put the asset in this session (a recording of its own project)."
    )
    timestamp: str | None = F(
        default=None,
        description="The asset's instant on its session's timeline, ISO-8601; a span it falls outside is widened.",
    )
    sensor: str | None = F(default=None, description="The sensor that recorded the asset, e.g. 'cam_front'.")


@strawberry.input(description="One label to append.")
class AppendLabelData:
    asset_id: strawberry.ID = F(name="assetID", description="The labeled asset.")
    author_id: strawberry.ID | None = F(
        default=None, name="authorID", description="Author (a project member); null means the viewer."
    )
    client_version: int | None = F(default=None, description="Accepted and ignored.")
    json_response: str = F(description="The label, a JSON-encoded object string.")
    model_name: str | None = F(default=None, description="Model that produced it (required for PREDICTION).")
    referenced_label_id: strawberry.ID | None = F(default=None, description="Accepted and ignored.")
    seconds_to_label: float | None = F(default=None, description="Time spent labeling, in seconds.")


@strawberry.input(description="Labels to append, all of one type.")
class AppendManyLabelsData:
    label_type: LabelType = F(description="Type of every label.")
    overwrite: bool | None = F(
        default=None,
        description=(
            "When true, each new label replaces the asset's labels of the same type by the same author "
            "(PREDICTION and INFERENCE: of the same model)."
        ),
    )
    labels_data: list[AppendLabelData] = F(description="The labels.")
    step_id: strawberry.ID | None = F(default=None, description="V2/V3 workflows only (not supported).")


@strawberry.input(description="A label to append to one asset (Kili's deprecated appendToLabels).")
class AppendToLabelsData:
    author_id: strawberry.ID = F(name="authorID", description="Author (a project member).")
    client_version: int | None = F(default=None, description="Accepted and ignored.")
    json_response: str = F(description="The label, a JSON-encoded object string.")
    label_type: LabelType = F(description="Label type.")
    seconds_to_label: float | None = F(default=None, description="Time spent labeling, in seconds.")
    skipped: bool | None = F(default=None, description="Marks the asset skipped (true) or not (false).")


@strawberry.input(
    description=(
        "One issue to create: on a label (its asset is the label's asset), or on an asset (`assetId`). "
        "When both are given, the label must be one of that asset's."
    )
)
class IssueToCreate:
    label_id: strawberry.ID | None = F(default=None, name="labelID", description="The label the issue is about.")
    object_mid: str | None = F(
        default=None, description="The object of the label the issue is about (its `mid` in the json response)."
    )
    type: IssueType = F(default=IssueType.ISSUE, description="ISSUE (a reviewer's remark) or QUESTION.")
    asset_id: strawberry.ID | None = F(default=None, description="The asset the issue is about (without a label).")
    text: str | None = F(default=None, description="The remark or the question.")


@strawberry.input(description="Changes to an issue.")
class IssueData:
    status: IssueStatus = F(description="New status: OPEN, SOLVED or CANCELLED (any status may follow any other).")


@strawberry.input(description="A new session (SceneBox `add_session`): a recording whose assets sit on a timeline.")
class CreateSessionData:
    project_id: strawberry.ID = F(name="projectId", description="The project the session belongs to.")
    name: str = F(description="Name, unique within the project (CONFLICT otherwise).")
    session_type: str | None = F(default="generic", description="Kind of recording, e.g. 'drive' (default 'generic').")
    status: str | None = F(default="ready", description="Free status (default 'ready').")
    resolution: float | None = F(default=None, description="Sampling resolution of the timeline in seconds, > 0.")
    start_time: str | None = F(default=None, description="Start of the span, ISO-8601 (a missing zone means UTC).")
    end_time: str | None = F(default=None, description="End of the span, ISO-8601; not before startTime.")
    json_aux_metadata: str | None = F(
        default=None, description="Free auxiliary metadata, a JSON-encoded object string."
    )
    id: strawberry.ID | None = F(default=None, description="The id to give the session (default: a new one).")


@strawberry.input(description="Changes to a session: only the fields given are written.")
class UpdateSessionData:
    name: str | None = F(default=None, description="New name, unique within the project (CONFLICT otherwise).")
    session_type: str | None = F(default=None, description="Kind of recording.")
    status: str | None = F(default=None, description="Free status.")
    resolution: float | None = F(default=None, description="Sampling resolution in seconds, > 0.")
    start_time: str | None = F(default=None, description="Start of the span (SceneBox `update_time_span`), ISO-8601.")
    end_time: str | None = F(default=None, description="End of the span, ISO-8601; the span needs startTime ≤ endTime.")
    json_aux_metadata: str | None = F(
        default=None, description="Auxiliary metadata, a JSON-encoded object string; replaces the stored one."
    )
