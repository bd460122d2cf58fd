"""asset tags (Picsellia add_tags / remove_tags), searchable through a GIN index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 06:45:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("asset", sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"))
    op.create_index("ix_asset_tags", "asset", ["tags"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_asset_tags", table_name="asset")
    op.drop_column("asset", "tags")
