"""Learners' connections to their own Open Badges hosts (credstack as an API client).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "ob_connections",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("discovery_url", sa.Text(), nullable=False),
        sa.Column("host_name", sa.Text(), nullable=False),
        sa.Column("api_base", sa.Text(), nullable=False),
        sa.Column("token_url", sa.Text(), nullable=False),
        sa.Column("refresh_url", sa.Text(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("scopes_json", sa.Text(), nullable=False),
        sa.Column("sealed_secrets", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_hash", sa.String(), nullable=True),
        sa.Column("binding_hash", sa.String(), nullable=True),
        sa.Column("session_id", sa.String(), nullable=True),
        sa.Column("state_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_connections")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_ob_connections_state_hash")),
    )
    with op.batch_alter_table("ob_connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ob_connections_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ob_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ob_connections_user_id"))
    op.drop_table("ob_connections")
