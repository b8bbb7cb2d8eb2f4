"""reply-memory vectors kept per engine, so a restart does not embed remembered replies again

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smartinbox.models.base import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "memory_vector_sets",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_memory_vector_sets")),
    )
    op.create_table(
        "memory_vectors",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fingerprint"],
            ["memory_vector_sets.fingerprint"],
            name=op.f("fk_memory_vectors_fingerprint_memory_vector_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("text_sha256", "fingerprint", name=op.f("pk_memory_vectors")),
    )


def downgrade() -> None:
    op.drop_table("memory_vectors")
    op.drop_table("memory_vector_sets")
