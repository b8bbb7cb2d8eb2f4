"""review state of remembered replies, the memory stamp, and the review note of a suggestion

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-05 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smartinbox.models.base import UTCDateTime, utcnow

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "memory_reviews",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ref_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", BigId, nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("learned_from_id", BigId, nullable=True),
        sa.Column("learned_from", sa.String(length=255), nullable=True),
        sa.Column("reviewed_by_id", BigId, nullable=True),
        sa.Column("reviewed_by", sa.String(length=255), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('unreviewed','approved','held','junk','removed')",
            name=op.f("ck_memory_reviews_status"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"],
            name=op.f("fk_memory_reviews_message_id_messages"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["learned_from_id"], ["users.id"],
            name=op.f("fk_memory_reviews_learned_from_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"],
            name=op.f("fk_memory_reviews_reviewed_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_reviews")),
        sa.UniqueConstraint("ref_id", name=op.f("uq_memory_reviews_ref_id")),
    )  # fmt: skip
    with op.batch_alter_table("memory_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_memory_reviews_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_memory_reviews_status"), ["status"], unique=False)
    op.create_table(
        "memory_stamp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_stamp")),
    )
    stamp = sa.table(
        "memory_stamp",
        sa.column("id", sa.Integer()),
        sa.column("version", sa.Integer()),
        sa.column("updated_at", UTCDateTime()),
    )
    op.bulk_insert(stamp, [{"id": 1, "version": 0, "updated_at": utcnow()}])
    # In place (no table rebuild): rebuilding ai_replies on SQLite would drop its analytics
    # triggers.
    op.add_column("ai_replies", sa.Column("review_note", sa.String(length=300), nullable=True))


def downgrade() -> None:
    op.drop_column("ai_replies", "review_note")  # in place: SQLite 3.35+ drops columns natively
    op.drop_table("memory_stamp")
    with op.batch_alter_table("memory_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memory_reviews_status"))
        batch_op.drop_index(batch_op.f("ix_memory_reviews_message_id"))
    op.drop_table("memory_reviews")
