"""Enums of the API. Values are Kili's spellings; the columns store the same strings."""

from enum import Enum

import strawberry


@strawberry.enum(description="Workflow status of an asset (Kili's V1 model).")
class AssetStatus(Enum):
    TODO = "TODO"
    ONGOING = "ONGOING"
    LABELED = "LABELED"
    TO_REVIEW = "TO_REVIEW"
    REVIEWED = "REVIEWED"


@strawberry.enum(description="Kind of label.")
class LabelType(Enum):
    AUTOSAVE = "AUTOSAVE"
    DEFAULT = "DEFAULT"
    INFERENCE = "INFERENCE"
    PREDICTION = "PREDICTION"
    REVIEW = "REVIEW"


@strawberry.enum(description="Kind of data a project labels.")
class InputType(Enum):
    IMAGE = "IMAGE"
    GEOSPATIAL = "GEOSPATIAL"
    PDF = "PDF"
    TEXT = "TEXT"
    VIDEO = "VIDEO"
    VIDEO_LEGACY = "VIDEO_LEGACY"
    LIDAR = "LIDAR"
    LLM_RLHF = "LLM_RLHF"
    LLM_INSTR_FOLLOWING = "LLM_INSTR_FOLLOWING"
    LLM_STATIC = "LLM_STATIC"
    AUDIO = "AUDIO"


@strawberry.enum(description="Workflow model of a project. labelgate runs Kili's V1 (status) model.")
class WorkflowVersion(Enum):
    V1 = "V1"
    V2 = "V2"
    V3 = "V3"


@strawberry.enum(description="Step status of Kili's V2/V3 workflows (accepted in filters, never stored).")
class StepStatus(Enum):
    TO_DO = "TO_DO"
    DOING = "DOING"
    IN_PROGRESS = "IN_PROGRESS"
    PARTIALLY_DONE = "PARTIALLY_DONE"
    REWORK = "REWORK"
    REDO = "REDO"
    DONE = "DONE"
    SKIPPED = "SKIPPED"


@strawberry.enum(description="Kind of issue raised on an asset.")
class IssueType(Enum):
    ISSUE = "ISSUE"
    QUESTION = "QUESTION"


@strawberry.enum(description="Status of an issue.")
class IssueStatus(Enum):
    CANCELLED = "CANCELLED"
    OPEN = "OPEN"
    SOLVED = "SOLVED"


@strawberry.enum(description="Role of a user in a project.")
class ProjectRole(Enum):
    ADMIN = "ADMIN"
    TEAM_MANAGER = "TEAM_MANAGER"
    REVIEWER = "REVIEWER"
    LABELER = "LABELER"


@strawberry.enum(description="Compliance tags of a project (accepted, not enforced).")
class ComplianceTag(Enum):
    PHI = "PHI"
    PII = "PII"


@strawberry.enum(description="How updateAssetsMetadata writes `set` into an asset's metadata.")
class MetadataWriteMode(Enum):
    MERGE = strawberry.enum_value(
        "MERGE", description="Keep the other keys: set each key of `set` (dotted keys nest), remove the `unset` keys."
    )
    REPLACE = strawberry.enum_value(
        "REPLACE", description="`set` becomes the whole metadata object, as updatePropertiesInAssets does."
    )
