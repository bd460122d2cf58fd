"""Filter inputs with Kili's names and shapes. Every field is optional; an empty object means no filter.

List filters (`...In`) given as an empty list match nothing; left out (or null) they filter nothing; a list
holds at most LABELGATE_MAX_LIST_LENGTH items (10,000 by default). Substring filters are case-insensitive
and take `%` and `_` literally.
Date filters take `YYYY-MM-DD` or ISO-8601; a bare day given to a `...Lte` filter includes that day.
"""

from __future__ import annotations

import strawberry

from schema.enums import AssetStatus, InputType, IssueStatus, IssueType, LabelType, StepStatus
from schema.scalars import JSON

F = strawberry.field


@strawberry.input(description="Filter on organizations.")
class OrganizationWhere:
    id: strawberry.ID | None = F(default=None, description="Organization id.")
    user: UserWhere | None = F(default=None, description="Organizations having a user that matches.")


@strawberry.input(description="Filter on users.")
class UserWhere:
    id: strawberry.ID | None = F(default=None, description="User id.")
    id_in: list[strawberry.ID] | None = F(default=None, description="Any of these user ids.")
    email: str | None = F(default=None, description="Exact email (case-insensitive).")
    activated: bool | None = F(default=None, description="Only activated (true) or deactivated users.")
    organization: OrganizationWhere | None = F(default=None, description="Users of a matching organization.")


@strawberry.input(description="Filter on the viewer's API keys.")
class ApiKeyWhere:
    id: strawberry.ID | None = F(default=None, description="API key id.")
    key: str | None = F(default=None, description="The key itself (compared with the stored hash).")
    user: UserWhere | None = F(default=None, description="Keys of a matching user.")


@strawberry.input(description="Filter on the viewer's notifications (another user's never match).")
class NotificationWhere:
    id: strawberry.ID | None = F(default=None, description="Notification id.")
    has_been_seen: bool | None = F(default=None, description="Seen or not.")
    user_id: strawberry.ID | None = F(default=None, name="userID", description="Recipient user id.")


@strawberry.input(description="Filter on projects.")
class ProjectWhere:
    id: strawberry.ID | None = F(default=None, description="Project id.")
    id_in: list[strawberry.ID] | None = F(default=None, description="Any of these project ids.")
    search_query: str | None = F(
        default=None,
        description="Case-insensitive substring of the title or description (`%` and `_` match themselves).",
    )
    should_relaunch_kpi_computation: bool | None = F(default=None, description="Accepted and ignored.")
    starred: bool | None = F(default=None, description="Starred projects only (true) or others (false).")
    updated_at_gte: str | None = F(default=None, description="Updated at or after this date.")
    updated_at_lte: str | None = F(default=None, description="Updated at or before this date.")
    created_at_gte: str | None = F(default=None, description="Created at or after this date.")
    created_at_lte: str | None = F(default=None, description="Created at or before this date.")
    organization_id: str | None = F(default=None, description="Projects of this organization.")
    tag_ids: list[strawberry.ID] | None = F(default=None, description="Projects having any of these tags.")
    deleted: bool | None = F(default=None, description="labelgate keeps no deleted projects: true matches none.")
    archived: bool | None = F(default=None, description="Archived projects only (true) or others (false).")
    input_type_in: list[InputType] | None = F(
        default=None, description="Projects whose input type (IMAGE, VIDEO, ...) is any of these."
    )


@strawberry.input(description="A (workflow step, status) pair of Kili's V2/V3 workflows.")
class StepIdAndStatus:
    step_id: strawberry.ID = F(description="Step id.")
    status: StepStatus = F(description="Step status.")


@strawberry.input(
    description=(
        "Filter on issues (review comments and questions on assets). Every condition given must hold. "
        "Inside `AssetWhere.issue` it selects the assets having at least one such issue."
    )
)
class IssueWhere:
    id: strawberry.ID | None = F(default=None, description="Issue id.")
    project: ProjectWhere | None = F(default=None, description="Issues of matching projects.")
    asset: AssetWhere | None = F(default=None, description="Issues on matching assets.")
    asset_in: list[strawberry.ID] | None = F(default=None, description="Issues on any of these asset ids.")
    status: IssueStatus | None = F(default=None, description="Issue status: OPEN, SOLVED or CANCELLED.")
    type: IssueType | None = F(default=None, description="Kind of issue: ISSUE or QUESTION.")


@strawberry.input(description="Filter on labels. Inside `AssetWhere.label` it selects assets having such a label.")
class LabelWhere:
    id: strawberry.ID | None = F(default=None, description="Label id.")
    id_in: list[strawberry.ID] | None = F(default=None, description="Any of these label ids.")
    project: ProjectWhere | None = F(default=None, description="Labels of matching projects.")
    asset: AssetWhere | None = F(default=None, description="Labels of matching assets.")
    user: UserWhere | None = F(default=None, description="Labels authored by a matching user.")
    author_in: list[str] | None = F(
        default=None, description="Author is any of these (user id, email, first name, last name or full name)."
    )
    labeler_in: list[str] | None = F(default=None, description="A DEFAULT label by any of these users (id or email).")
    labeler_not_in: list[str] | None = F(default=None, description="Not a DEFAULT label by these users.")
    reviewer_in: list[str] | None = F(default=None, description="A REVIEW label by any of these users (id or email).")
    reviewer_not_in: list[str] | None = F(default=None, description="Not a REVIEW label by these users.")
    type_in: list[LabelType] | None = F(default=None, description="Label type is any of these.")
    model_name_in: list[str] | None = F(
        default=None,
        description="Model name is any of these (exact; labels without a model name never match).",
    )
    consensus_mark_gte: float | None = F(default=None, description="Consensus mark at least this.")
    consensus_mark_lte: float | None = F(default=None, description="Consensus mark at most this.")
    honeypot_mark_gte: float | None = F(default=None, description="Honeypot mark at least this.")
    honeypot_mark_lte: float | None = F(default=None, description="Honeypot mark at most this.")
    created_at: str | None = F(default=None, description="Created on this day (YYYY-MM-DD) or at this instant.")
    created_at_gte: str | None = F(default=None, description="Created at or after this date.")
    created_at_lte: str | None = F(default=None, description="Created at or before this date.")
    search: str | None = F(
        default=None,
        description="Kili's category search, e.g. `JOB.CATEGORY.count > 0 AND (J2.C.count = 1 OR J2.D.count >= 2)`.",
    )


@strawberry.input(description="Filter on assets. Every condition given must hold.")
class AssetWhere:
    id: strawberry.ID | None = F(default=None, description="Asset id.")
    id_in: list[strawberry.ID] | None = F(default=None, description="Any of these asset ids.")
    id_not_in: list[strawberry.ID] | None = F(default=None, description="None of these asset ids.")
    project: ProjectWhere | None = F(default=None, description="Assets of matching projects.")
    external_id_strictly_in: list[str] | None = F(default=None, description="External id is exactly one of these.")
    external_id_in: list[str] | None = F(
        default=None,
        description="External id contains any of these (case-insensitive substring; `%` and `_` match themselves).",
    )
    status_in: list[AssetStatus] | None = F(default=None, description="Status is any of these.")
    consensus_mark_gte: float | None = F(default=None, description="Consensus mark at least this.")
    consensus_mark_lte: float | None = F(default=None, description="Consensus mark at most this.")
    honeypot_mark_gte: float | None = F(default=None, description="Honeypot mark at least this.")
    honeypot_mark_lte: float | None = F(default=None, description="Honeypot mark at most this.")
    inference_mark_gte: float | None = F(default=None, description="Inference mark at least this.")
    inference_mark_lte: float | None = F(default=None, description="Inference mark at most this.")
    metadata: JSON | None = F(
        default=None,
        description=(
            "JSON metadata filter `{key: condition}`, all keys must match: a value means equal, "
            "a list of two numbers `[min, max]` an inclusive range, any other list any-of. Dotted keys "
            "(`camera.id`) reach nested objects."
        ),
    )
    assignee_in: list[str] | None = F(default=None, description="Assigned to any of these users (id or email).")
    assignee_not_in: list[str] | None = F(default=None, description="Assigned to none of these users.")
    label: LabelWhere | None = F(default=None, description="Assets having at least one label that matches.")
    skipped: bool | None = F(default=None, description="Skipped assets only (true) or others (false).")
    updated_at_gte: str | None = F(default=None, description="Updated at or after this date.")
    updated_at_lte: str | None = F(default=None, description="Updated at or before this date.")
    created_at_gte: str | None = F(default=None, description="Created at or after this date.")
    created_at_lte: str | None = F(default=None, description="Created at or before this date.")
    issue: IssueWhere | None = F(
        default=None, description="Assets having at least one issue that matches (`{}`: no filter)."
    )
    step_id_in: list[strawberry.ID] | None = F(default=None, description="V2/V3 workflows only (not supported).")
    step_id_not_in: list[strawberry.ID] | None = F(default=None, description="V2/V3 workflows only (not supported).")
    step_status_in: list[StepStatus] | None = F(default=None, description="V2/V3 workflows only (not supported).")
    step_status_not_in: list[StepStatus] | None = F(default=None, description="V2/V3 workflows only (not supported).")
    step_id_and_status_in: list[StepIdAndStatus] | None = F(
        default=None, description="V2/V3 workflows only (not supported)."
    )
    step_id_and_status_not_in: list[StepIdAndStatus] | None = F(
        default=None, description="V2/V3 workflows only (not supported)."
    )
    group_name_in: list[str] | None = F(default=None, description="V2/V3 workflows only (not supported).")
    group_name_not_in: list[str] | None = F(default=None, description="V2/V3 workflows only (not supported).")
    set_id_in: list[strawberry.ID] | None = F(default=None, description="Assets in any of these sets.")
    session_id_in: list[strawberry.ID] | None = F(
        default=None,
        description="Assets on the timeline of any of these sessions (a slice's: its origin's assets in its span).",
    )
    sensor_in: list[str] | None = F(
        default=None, description="Assets recorded by any of these sensors (exact match); an empty list matches none."
    )
    timestamp_gte: str | None = F(default=None, description="Session timestamp at or after this time.")
    timestamp_lte: str | None = F(default=None, description="Session timestamp at or before this time.")
    tags_in: list[str] | None = F(
        default=None, description="Assets having any of these tags (exact match); an empty list matches none."
    )
    tags_not_in: list[str] | None = F(
        default=None, description="Assets having none of these tags (an asset without tags matches)."
    )
    mime_type_in: list[str] | None = F(
        default=None,
        description="MIME type is exactly one of these (e.g. `image/jpeg`); assets without one never match.",
    )
    metadata_not: JSON | None = F(
        default=None,
        description=(
            "JSON `{key: value | [values]}`: for every key, the asset lacks it or holds none of the values "
            "(a list is always values here, never a range). Dotted keys reach nested objects."
        ),
    )
    metadata_exists: JSON | None = F(
        default=None,
        description=(
            "JSON `{key: true | false}`: the asset has the key (any value, JSON null included) or lacks it. "
            "Dotted keys reach nested objects."
        ),
    )


@strawberry.input(description="Filter on sets (curated collections of assets). Every condition given must hold.")
class SetWhere:
    id: strawberry.ID | None = F(default=None, description="Set id.")
    id_in: list[strawberry.ID] | None = F(default=None, description="Any of these set ids.")
    project: ProjectWhere | None = F(default=None, description="Sets of matching projects.")
    name_in: list[str] | None = F(default=None, description="Name is exactly one of these.")
    name_contains: str | None = F(
        default=None, description="Name contains this (case-insensitive substring; `%` and `_` match themselves)."
    )
    tags_in: list[str] | None = F(default=None, description="Sets having any of these tags.")
    is_locked: bool | None = F(default=None, description="Locked sets only (true) or unlocked ones (false).")
    origin_set_id: strawberry.ID | None = F(default=None, description="Sets derived from this set.")
    has_asset: strawberry.ID | None = F(default=None, description="Sets containing the asset with this id.")
    created_at_gte: str | None = F(default=None, description="Created at or after this date.")
    created_at_lte: str | None = F(default=None, description="Created at or before this date.")
    updated_at_gte: str | None = F(default=None, description="Updated at or after this date.")
    updated_at_lte: str | None = F(default=None, description="Updated at or before this date.")


@strawberry.input(description="Filter on sessions (recordings of assets). Every condition given must hold.")
class SessionWhere:
    id: strawberry.ID | None = F(default=None, description="Session id.")
    id_in: list[strawberry.ID] | None = F(default=None, description="Any of these session ids.")
    project: ProjectWhere | None = F(default=None, description="Sessions of matching projects.")
    name_contains: str | None = F(
        default=None, description="Name contains this (case-insensitive substring; `%` and `_` match themselves)."
    )
    session_type_in: list[str] | None = F(default=None, description="Session type is exactly one of these.")
    status_in: list[str] | None = F(default=None, description="Status is exactly one of these.")
    start_time_gte: str | None = F(default=None, description="Recording started at or after this time.")
    start_time_lte: str | None = F(default=None, description="Recording started at or before this time.")
    end_time_gte: str | None = F(default=None, description="Recording ended at or after this time.")
    end_time_lte: str | None = F(default=None, description="Recording ended at or before this time.")
    created_at_gte: str | None = F(default=None, description="Created at or after this date.")
    created_at_lte: str | None = F(default=None, description="Created at or before this date.")
