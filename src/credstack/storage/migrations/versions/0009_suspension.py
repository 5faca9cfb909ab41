"""Suspension of issued credentials: when and why a credential is suspended now.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # nullable columns without defaults: a plain ALTER TABLE ADD COLUMN on both databases,
    # no table rebuild however many credentials there are
    op.add_column(
        "issued_credentials", sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("issued_credentials", sa.Column("suspension_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issued_credentials") as batch:
        batch.drop_column("suspension_reason")
        batch.drop_column("suspended_at")
