"""issues on assets; why an asset was skipped

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 03:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("asset", sa.Column("skip_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_table(
        "issue",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_id", sa.String(), nullable=False),
        sa.Column("asset_id", sa.String(), nullable=False),
        sa.Column("label_id", sa.String(), nullable=True),
        sa.Column("object_mid", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("author_id", sa.String(), nullable=False),
        sa.Column("issue_type", sqlmodel.sql.sqltypes.AutoString(), server_default="ISSUE", nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), server_default="OPEN", nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["label_id"], ["label.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["author_id"], ["app_user.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_issue_project_created", "issue", ["project_id", "created_at", "id"], unique=False)
    op.create_index("ix_issue_asset_created", "issue", ["asset_id", "created_at", "id"], unique=False)
    op.create_index(op.f("ix_issue_label_id"), "issue", ["label_id"], unique=False)
    op.create_index(op.f("ix_issue_author_id"), "issue", ["author_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_issue_author_id"), table_name="issue")
    op.drop_index(op.f("ix_issue_label_id"), table_name="issue")
    op.drop_index("ix_issue_asset_created", table_name="issue")
    op.drop_index("ix_issue_project_created", table_name="issue")
    op.drop_table("issue")
    op.drop_column("asset", "skip_reason")
