"""macros with actions, the macro a reply was made from, CSAT ratings

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-05 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smartinbox.models.base import BigId, JSONType, UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reply_macros", sa.Column("set_status", sa.String(length=16), nullable=True))
    op.add_column(
        "reply_macros",
        sa.Column("add_tags", JSONType, nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column(
        "reply_macros",
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column("reply_macros", sa.Column("updated_at", UTCDateTime(), nullable=True))
    op.add_column("agent_replies", sa.Column("macro_id", BigId, nullable=True))
    op.create_table(
        "csat_ratings",
        sa.Column("conversation_id", BigId, nullable=False),
        sa.Column("solved_at", UTCDateTime(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_csat_ratings_rating")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_csat_ratings_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csat_ratings")),
        sa.UniqueConstraint(
            "conversation_id", "solved_at", name=op.f("uq_csat_ratings_conversation_id_solved_at")
        ),
    )
    op.create_index(op.f("ix_csat_ratings_conversation_id"), "csat_ratings", ["conversation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_csat_ratings_conversation_id"), table_name="csat_ratings")
    op.drop_table("csat_ratings")
    op.drop_column("agent_replies", "macro_id")
    for column in ("updated_at", "active", "add_tags", "set_status"):
        op.drop_column("reply_macros", column)
