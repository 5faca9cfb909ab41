"""The transparency log: leaves, Merkle nodes, signed checkpoints and witness cosignatures.

Append-only (no row is ever updated or deleted); see docs/transparency-log.md.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

# On SQLite an INTEGER PRIMARY KEY is the rowid itself (no second index to keep up).
_BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "log_leaves",
        sa.Column("leaf_index", _BIG_KEY, autoincrement=False, nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("event", sa.SmallInteger(), nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("credential_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_log_leaves")),
    )
    with op.batch_alter_table("log_leaves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_log_leaves_digest"), ["digest"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_log_leaves_credential_id"), ["credential_id"], unique=False
        )

    op.create_table(
        "log_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("node_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "node_index", name=op.f("pk_log_nodes")),
    )

    op.create_table(
        "log_checkpoints",
        sa.Column("tree_size", _BIG_KEY, autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_log_checkpoints")),
    )

    op.create_table(
        "log_cosignatures",
        sa.Column("tree_size", _BIG_KEY, autoincrement=False, nullable=False),
        sa.Column("witness", sa.String(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tree_size"],
            ["log_checkpoints.tree_size"],
            name=op.f("fk_log_cosignatures_tree_size_log_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("tree_size", "witness", name=op.f("pk_log_cosignatures")),
    )


def downgrade() -> None:
    op.drop_table("log_cosignatures")
    op.drop_table("log_checkpoints")
    op.drop_table("log_nodes")
    with op.batch_alter_table("log_leaves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_leaves_credential_id"))
        batch_op.drop_index(batch_op.f("ix_log_leaves_digest"))
    op.drop_table("log_leaves")
