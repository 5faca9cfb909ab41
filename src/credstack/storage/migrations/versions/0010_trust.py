"""Issuer trust: registries and their entries, accreditations, employers' registry choices.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "trust_registries",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("list_id", sa.Text(), nullable=True),
        sa.Column("list_valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("list_valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_registries")),
    )
    op.create_table(
        "trust_entries",
        sa.Column("registry_id", sa.String(), nullable=False),
        sa.Column("did", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scope_json", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registry_id"],
            ["trust_registries.id"],
            name=op.f("fk_trust_entries_registry_id_trust_registries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("registry_id", "did", "role", name=op.f("pk_trust_entries")),
    )
    op.create_index(op.f("ix_trust_entries_did"), "trust_entries", ["did"])
    op.create_table(
        "trust_accreditations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("accreditor_did", sa.String(), nullable=False),
        sa.Column("issuer_did", sa.String(), nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_accreditations")),
    )
    op.create_index(
        op.f("ix_trust_accreditations_accreditor_did"), "trust_accreditations", ["accreditor_did"]
    )
    op.create_index(
        op.f("ix_trust_accreditations_issuer_did"), "trust_accreditations", ["issuer_did"]
    )
    op.create_table(
        "employer_trust_choices",
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("registry_ids_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_employer_trust_choices")),
    )


def downgrade() -> None:
    for table in (
        "employer_trust_choices",
        "trust_accreditations",
        "trust_entries",
        "trust_registries",
    ):
        op.drop_table(table)
