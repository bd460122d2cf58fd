"""The tables. Schema changes go through Alembic migrations (gateway/migrations), never create_all.

Enum-like columns are plain text; the GraphQL layer validates values. JSON values are JSONB.
Ordering everywhere is (created_at, id), which the composite indexes below serve.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from gateway.db.ids import new_id


def utcnow() -> datetime:
    return datetime.now(UTC)


def _created() -> Any:
    return Field(
        default_factory=utcnow,
        sa_column_kwargs={"server_default": text("now()")},
        sa_type=DateTime(timezone=True),
        nullable=False,
    )


def _fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE", index: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=Column(String, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


def _jsonb(default: Any) -> Any:
    return Field(
        default_factory=lambda: default() if callable(default) else default,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )


class Organization(SQLModel, table=True):
    __tablename__ = "organization"
    id: str = Field(default_factory=new_id, primary_key=True)
    name: str
    upload_local_data: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    created_at: datetime = _created()


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: str = Field(default_factory=new_id, primary_key=True)
    organization_id: str = _fk("organization.id", index=True)
    email: str = Field(sa_column=Column(String, nullable=False, unique=True))
    firstname: str | None = None
    lastname: str | None = None
    is_org_admin: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    activated: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    created_at: datetime = _created()


class ApiKey(SQLModel, table=True):
    """An API key. Only the SHA-256 of the key is stored; the key itself is shown once."""

    __tablename__ = "api_key"
    id: str = Field(default_factory=new_id, primary_key=True)
    user_id: str = _fk("app_user.id", index=True)
    name: str | None = None
    key_hash: str = Field(sa_column=Column(String, nullable=False, unique=True))
    key_prefix: str = Field(description="first characters of the key, to tell keys apart")
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    revoked: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    created_at: datetime = _created()


class Project(SQLModel, table=True):
    __tablename__ = "project"
    __table_args__ = (Index("ix_project_org_created", "organization_id", "created_at", "id"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    organization_id: str = _fk("organization.id")
    title: str
    description: str = Field(default="", sa_column_kwargs={"server_default": ""})
    input_type: str = "IMAGE"
    json_interface: Any = Field(default=None, sa_column=Column(JSONB, nullable=True))
    instructions: str | None = None
    tags: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}"))
    archived: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    starred: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ProjectMember(SQLModel, table=True):
    __tablename__ = "project_member"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str = _fk("project.id")
    user_id: str = _fk("app_user.id", index=True)
    role: str
    created_at: datetime = _created()


class Session(SQLModel, table=True):
    """A recording (a drive, a flight): assets sit on its timeline by timestamp."""

    __tablename__ = "recording_session"
    __table_args__ = (
        UniqueConstraint("project_id", "name", name="uq_session_project_name"),
        Index("ix_session_project_created", "project_id", "created_at", "id"),
    )
    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str = _fk("project.id")
    name: str
    session_type: str | None = None
    status: str | None = None
    start_time: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    end_time: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    resolution: float | None = Field(default=None, description="sampling resolution in seconds")
    aux_metadata: Any = _jsonb(dict)
    origin_session_id: str | None = _fk("recording_session.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = _created()
    updated_at: datetime = _created()


class SessionEvent(SQLModel, table=True):
    """Something on a session's timeline: an interval, a point event, a scalar measurement, a comment."""

    __tablename__ = "session_event"
    __table_args__ = (Index("ix_session_event_session_start", "session_id", "start_time", "id"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    session_id: str = _fk("recording_session.id")
    event_type: str
    name: str | None = None
    start_time: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    end_time: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    value: float | None = Field(default=None, sa_type=Float)
    state: str | None = Field(default=None, description="an interval's state, e.g. 'rain' (SceneBox)")
    latitude: float | None = Field(default=None, sa_type=Float)
    longitude: float | None = Field(default=None, sa_type=Float)
    comment: str | None = None
    aux_metadata: Any = _jsonb(dict)
    created_at: datetime = _created()


class Asset(SQLModel, table=True):
    __tablename__ = "asset"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id", name="uq_asset_project_external_id"),
        Index("ix_asset_project_created", "project_id", "created_at", "id"),
        Index("ix_asset_project_status", "project_id", "status"),
        Index(
            "ix_asset_metadata",
            "json_metadata",
            postgresql_using="gin",
            postgresql_ops={"json_metadata": "jsonb_path_ops"},
        ),
        Index("ix_asset_session_timestamp", "session_id", "timestamp"),
        Index("ix_asset_tags", "tags", postgresql_using="gin"),
    )
    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str = _fk("project.id")
    external_id: str
    content: str = Field(default="", description="external URL, or empty when the bytes are in our bucket")
    storage_key: str | None = Field(default=None, description="object key in our bucket, if stored there")
    mime_type: str | None = None
    size_bytes: int | None = Field(default=None, sa_type=BigInteger)
    width: float | None = None
    height: float | None = None
    json_metadata: Any = _jsonb(dict)
    json_content: str | None = None
    status: str = Field(default="TODO", sa_column_kwargs={"server_default": "TODO"})
    priority: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    is_honeypot: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    is_used_for_consensus: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    honeypot_mark: float | None = None
    consensus_mark: float | None = None
    inference_mark: float | None = None
    skipped: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    skip_reason: str | None = Field(default=None, description="why a labeler skipped the asset (skipAsset)")
    session_id: str | None = _fk("recording_session.id", nullable=True, ondelete="SET NULL")
    timestamp: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    sensor: str | None = None
    tags: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}"))
    created_at: datetime = _created()
    updated_at: datetime = _created()


class AssetAssignee(SQLModel, table=True):
    """`toBeLabeledBy`: the users an asset is assigned to."""

    __tablename__ = "asset_assignee"
    asset_id: str = Field(sa_column=Column(String, ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True))
    user_id: str = Field(
        sa_column=Column(String, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True)
    )


class Label(SQLModel, table=True):
    __tablename__ = "label"
    __table_args__ = (
        Index("ix_label_asset_created", "asset_id", "created_at", "id"),
        Index("ix_label_project_created", "project_id", "created_at", "id"),
        Index("ix_label_author", "author_id"),
    )
    id: str = Field(default_factory=new_id, primary_key=True)
    asset_id: str = _fk("asset.id")
    project_id: str = _fk("project.id", ondelete="CASCADE")
    author_id: str = _fk("app_user.id", ondelete="RESTRICT")
    label_type: str
    json_response: Any = _jsonb(dict)
    seconds_to_label: float | None = None
    model_name: str | None = None
    consensus_mark: float | None = None
    honeypot_mark: float | None = None
    created_at: datetime = _created()


class Issue(SQLModel, table=True):
    """A review comment on an asset (Kili's issue or question), optionally on one label and one object
    of it (`object_mid`). Status OPEN, SOLVED or CANCELLED; type ISSUE or QUESTION."""

    __tablename__ = "issue"
    __table_args__ = (
        Index("ix_issue_project_created", "project_id", "created_at", "id"),
        Index("ix_issue_asset_created", "asset_id", "created_at", "id"),
    )
    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str = _fk("project.id")
    asset_id: str = _fk("asset.id")
    label_id: str | None = _fk("label.id", nullable=True, ondelete="SET NULL", index=True)
    object_mid: str | None = None
    author_id: str = _fk("app_user.id", ondelete="RESTRICT", index=True)
    issue_type: str = Field(default="ISSUE", sa_column_kwargs={"server_default": "ISSUE"})
    status: str = Field(default="OPEN", sa_column_kwargs={"server_default": "OPEN"})
    text: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _created()


class AssetSet(SQLModel, table=True):
    """A curated, named collection of a project's assets (SceneBox's 'set')."""

    __tablename__ = "asset_set"
    __table_args__ = (
        UniqueConstraint("project_id", "name", name="uq_set_project_name"),
        Index("ix_set_project_created", "project_id", "created_at", "id"),
    )
    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str = _fk("project.id")
    name: str
    description: str | None = None
    tags: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}"))
    aux_metadata: Any = _jsonb(dict)
    is_locked: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    origin_set_id: str | None = _fk("asset_set.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = _created()
    updated_at: datetime = _created()


class SetAsset(SQLModel, table=True):
    __tablename__ = "set_asset"
    __table_args__ = (Index("ix_set_asset_asset", "asset_id"),)
    set_id: str = Field(sa_column=Column(String, ForeignKey("asset_set.id", ondelete="CASCADE"), primary_key=True))
    asset_id: str = Field(sa_column=Column(String, ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True))
    added_at: datetime = _created()


class Notification(SQLModel, table=True):
    """A message to one user about a task: labelgate writes one per `appendManyAssetsAsynchronously`
    call, already SUCCESS (it does the import synchronously)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_created", "user_id", "created_at", "id"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    user_id: str = _fk("app_user.id")
    status: str = Field(sa_column=Column(Text, nullable=False))
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    has_been_seen: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    created_at: datetime = _created()


class StorageOutbox(SQLModel, table=True):
    """A stored object still to remove from the bucket: written by the transaction that deletes the
    asset rows referring to it, deleted once the object is gone (gateway/storage_outbox.py)."""

    __tablename__ = "storage_outbox"
    __table_args__ = (Index("ix_storage_outbox_due", "bucket", "next_attempt_at"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    bucket: str = Field(description="the bucket holding the object (a gateway only works on its own)")
    key: str
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="failed attempts")
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    last_error: str | None = None
    created_at: datetime = _created()


# "Does an asset still refer to this object?", asked before every removal (gateway/storage_outbox.py).
Index("ix_asset_storage_key", Asset.storage_key, postgresql_where=text("storage_key IS NOT NULL"))


__all__ = [
    "Organization",
    "User",
    "ApiKey",
    "Project",
    "ProjectMember",
    "Session",
    "SessionEvent",
    "Asset",
    "AssetAssignee",
    "Label",
    "Issue",
    "AssetSet",
    "SetAsset",
    "Notification",
    "StorageOutbox",
]
