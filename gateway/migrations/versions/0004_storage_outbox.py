"""storage outbox: stored objects of deleted assets still to remove; assets by storage key

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-12 10:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_outbox",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_storage_outbox_due", "storage_outbox", ["bucket", "next_attempt_at"], unique=False)
    op.create_index(
        "ix_asset_storage_key",
        "asset",
        ["storage_key"],
        unique=False,
        postgresql_where=sa.text("storage_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_asset_storage_key", table_name="asset", postgresql_where=sa.text("storage_key IS NOT NULL"))
    op.drop_index("ix_storage_outbox_due", table_name="storage_outbox")
    op.drop_table("storage_outbox")
