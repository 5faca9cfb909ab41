"""The transparency log's DID document versions and public-chain anchors.

Append-only like the rest of the log (no row is ever updated or deleted); see
docs/transparency-log.md.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

# On SQLite an INTEGER PRIMARY KEY is the rowid itself (no second index to keep up).
_BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "did_document_versions",
        sa.Column("leaf_index", _BIG_KEY, autoincrement=False, nullable=False),
        sa.Column("did", sa.Text(), nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["log_leaves.leaf_index"],
            name=op.f("fk_did_document_versions_leaf_index_log_leaves"),
        ),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_did_document_versions")),
    )
    with op.batch_alter_table("did_document_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_did_document_versions_did_leaf_index", ["did", "leaf_index"], unique=False
        )

    op.create_table(
        "log_anchors",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", name=op.f("pk_log_anchors")),
    )
    with op.batch_alter_table("log_anchors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_log_anchors_tree_size"), ["tree_size"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("log_anchors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_anchors_tree_size"))
    op.drop_table("log_anchors")
    with op.batch_alter_table("did_document_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_did_document_versions_did_leaf_index")
    op.drop_table("did_document_versions")
