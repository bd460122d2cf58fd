"""sessions you can write: unique names per project, slices (origin session), event states and places

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 05:05:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("recording_session", sa.Column("origin_session_id", sa.String(), nullable=True))
    op.create_foreign_key(
        "recording_session_origin_session_id_fkey",
        "recording_session",
        "recording_session",
        ["origin_session_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_unique_constraint("uq_session_project_name", "recording_session", ["project_id", "name"])
    op.add_column("session_event", sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column("session_event", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("session_event", sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("session_event", "longitude")
    op.drop_column("session_event", "latitude")
    op.drop_column("session_event", "state")
    op.drop_constraint("uq_session_project_name", "recording_session", type_="unique")
    op.drop_constraint("recording_session_origin_session_id_fkey", "recording_session", type_="foreignkey")
    op.drop_column("recording_session", "origin_session_id")
