"""who wrote each explanation and improved reply: provider, model, prompt version

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from smartinbox.models.base import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ai_reply_explanations",
        sa.Column("ai_reply_id", BIG_ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("prompt_version", sa.String(length=64), nullable=True),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ai_reply_id"],
            ["ai_replies.id"],
            name=op.f("fk_ai_reply_explanations_ai_reply_id_ai_replies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_reply_explanations")),
    )
    with op.batch_alter_table("ai_reply_explanations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ai_reply_explanations_ai_reply_id"), ["ai_reply_id"], unique=False
        )
    with op.batch_alter_table("ai_reply_improvements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("prompt_version", sa.String(length=64), nullable=True))
    with op.batch_alter_table("feedback_replay_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure_explanation_provenance", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback_replay_log", schema=None) as batch_op:
        batch_op.drop_column("failure_explanation_provenance")
    with op.batch_alter_table("ai_reply_improvements", schema=None) as batch_op:
        batch_op.drop_column("prompt_version")
        batch_op.drop_column("provider")
    with op.batch_alter_table("ai_reply_explanations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_reply_explanations_ai_reply_id"))
    op.drop_table("ai_reply_explanations")
