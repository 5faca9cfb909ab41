"""Job postings for relevance figures: the deployment's pool of postings and the skills each
was mapped to (once, on import).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "job_postings",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_job_postings")),
    )
    op.create_index(op.f("ix_job_postings_posted_on"), "job_postings", ["posted_on"])
    op.create_table(
        "job_posting_skills",
        sa.Column("posting_key", sa.String(), nullable=False),
        sa.Column("skill_uri", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["posting_key"],
            ["job_postings.key"],
            name=op.f("fk_job_posting_skills_posting_key_job_postings"),
        ),
        sa.PrimaryKeyConstraint("posting_key", "skill_uri", name=op.f("pk_job_posting_skills")),
    )
    op.create_index(
        op.f("ix_job_posting_skills_skill_uri_posted_on"),
        "job_posting_skills",
        ["skill_uri", "posted_on"],
    )


def downgrade() -> None:
    op.drop_index("ix_job_posting_skills_skill_uri_posted_on", table_name="job_posting_skills")
    op.drop_table("job_posting_skills")
    op.drop_index("ix_job_postings_posted_on", table_name="job_postings")
    op.drop_table("job_postings")
