"""simulated-failure harness runs and their cases

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from smartinbox.models.base import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", BIG_ID, autoincrement=True, nullable=False)


def _version_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["ai_assistant_versions.id"],
        name=op.f(f"fk_harness_runs_{column}_ai_assistant_versions"),
        ondelete="SET NULL",
    )


def upgrade() -> None:
    op.create_table(
        "harness_runs",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("live_version_id", BIG_ID, nullable=True),
        sa.Column("candidate_version_id", BIG_ID, nullable=True),
        sa.Column("report", JSON, nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        _id(),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _version_fk("candidate_version_id"),
        _version_fk("live_version_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harness_runs")),
    )
    op.create_table(
        "harness_cases",
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reference_reply", sa.Text(), nullable=False),
        sa.Column("bad_reply", sa.Text(), nullable=False),
        sa.Column("improved_reply", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("score_before", sa.Float(), nullable=False),
        sa.Column("score_after", sa.Float(), nullable=False),
        sa.Column("fixed", sa.Boolean(), nullable=False),
        sa.Column("comments", JSON, nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        _id(),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["harness_runs.id"],
            name=op.f("fk_harness_cases_run_id_harness_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harness_cases")),
        sa.UniqueConstraint("run_id", "position", name=op.f("uq_harness_cases_run_id_position")),
    )
    with op.batch_alter_table("harness_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_harness_cases_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("harness_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_harness_cases_run_id"))
    op.drop_table("harness_cases")
    op.drop_table("harness_runs")
