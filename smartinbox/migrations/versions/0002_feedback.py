"""learning loop: training example sources, one replay row per suggestion

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smartinbox.models.base import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "training_example_sources",
        sa.Column("example_id", BIG_ID, nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("message_id", BIG_ID, nullable=True),
        sa.Column("not_useful", sa.Integer(), nullable=False),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["example_id"],
            ["training_examples.id"],
            name=op.f("fk_training_example_sources_example_id_training_examples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_training_example_sources_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_example_sources")),
        sa.UniqueConstraint(
            "example_id",
            "source_key",
            name=op.f("uq_training_example_sources_example_id_source_key"),
        ),
    )
    with op.batch_alter_table("training_example_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_example_sources_example_id"), ["example_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_example_sources_message_id"), ["message_id"], unique=False
        )
    with op.batch_alter_table("feedback_replay_log", schema=None) as batch_op:
        batch_op.create_index(
            "uq_feedback_replay_log_message_ai_reply",
            ["message_id", "ai_reply_id"],
            unique=True,
            sqlite_where=sa.text("message_id IS NOT NULL"),
            postgresql_where=sa.text("message_id IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_replay_log", schema=None) as batch_op:
        batch_op.drop_index("uq_feedback_replay_log_message_ai_reply")
    with op.batch_alter_table("training_example_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_example_sources_message_id"))
        batch_op.drop_index(batch_op.f("ix_training_example_sources_example_id"))
    op.drop_table("training_example_sources")
