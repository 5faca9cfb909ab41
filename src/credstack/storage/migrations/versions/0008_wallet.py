"""Learners' wallets: held credentials, collections, portfolio profiles, employers' views,
wallet-made DID keys.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_items",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.Column("credential_id", sa.Text(), nullable=True),
        sa.Column("issuer_id", sa.Text(), nullable=False),
        sa.Column("issuer_name", sa.Text(), nullable=False),
        sa.Column("achievement_name", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("share_code", sa.String(), nullable=False),
        sa.Column("visibility", sa.String(), nullable=False),
        sa.Column("skills_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("share_code"),
        sa.UniqueConstraint("user_id", "credential_id"),
    )
    op.create_index("ix_wallet_items_user_id", "wallet_items", ["user_id"])
    op.create_table(
        "wallet_collections",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item_ids_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wallet_collections_user_id", "wallet_collections", ["user_id"])
    op.create_table(
        "portfolio_profiles",
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("handle", sa.String(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("searchable", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("handle"),
    )
    op.create_table(
        "profile_views",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("learner_user_id", sa.String(), nullable=False),
        sa.Column("viewer_user_id", sa.String(), nullable=False),
        sa.Column("viewer_label", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_profile_views_learner_user_id", "profile_views", ["learner_user_id"])
    op.create_table(
        "learner_keys",
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("did", sa.Text(), nullable=False),
        sa.Column("sealed_seed", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    for table in (
        "learner_keys",
        "profile_views",
        "portfolio_profiles",
        "wallet_collections",
        "wallet_items",
    ):
        op.drop_table(table)
