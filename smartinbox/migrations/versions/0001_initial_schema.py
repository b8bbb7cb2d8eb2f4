"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 04:01:14.854209
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from smartinbox.models.base import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "ai_assistant_versions",
        sa.Column("version_tag", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("fine_tune_id", sa.String(length=128), nullable=True),
        sa.Column("system_prompt", sa.Text(), nullable=False),
        sa.Column(
            "few_shot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "artifacts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("promoted_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('candidate','live','retired')", name=op.f("ck_ai_assistant_versions_status")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_ai_assistant_versions_parent_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_assistant_versions")),
        sa.UniqueConstraint("version_tag", name=op.f("uq_ai_assistant_versions_version_tag")),
    )
    op.create_table(
        "customers",
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("email", name=op.f("uq_customers_email")),
    )
    op.create_table(
        "users",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_login_at", UTCDateTime(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "fine_tune_jobs",
        sa.Column(
            "assistant_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_job_id", sa.String(length=128), nullable=True),
        sa.Column("training_file_id", sa.String(length=128), nullable=True),
        sa.Column("base_model", sa.String(length=128), nullable=True),
        sa.Column("result_model", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column(
            "events",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "dataset",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_fine_tune_jobs_assistant_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fine_tune_jobs")),
        sa.UniqueConstraint("provider_job_id", name=op.f("uq_fine_tune_jobs_provider_job_id")),
    )
    with op.batch_alter_table("fine_tune_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fine_tune_jobs_assistant_version_id"),
            ["assistant_version_id"],
            unique=False,
        )

    op.create_table(
        "messages",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_format", sa.String(length=8), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "assignee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("label_kind", sa.String(length=32), nullable=True),
        sa.Column("label_topic", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('new','open','snoozed','replied','escalated','closed')",
            name=op.f("ck_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_messages_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_messages_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_messages_channel_external_id")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_received_at"), ["received_at"], unique=False)
        batch_op.create_index(
            "ix_messages_status_received", ["status", "received_at"], unique=False
        )

    op.create_table(
        "reply_macros",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("example_message", sa.Text(), nullable=True),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_reply_macros_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_macros")),
    )
    op.create_table(
        "stress_test_runs",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "live_version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "candidate_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_stress_test_runs_candidate_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["live_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_stress_test_runs_live_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stress_test_runs")),
    )
    op.create_table(
        "ai_replies",
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("snoozed", sa.Boolean(), nullable=False),
        sa.Column("snooze_reason", sa.String(length=500), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "assistant_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("prompt_version", sa.String(length=64), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1", name=op.f("ck_ai_replies_confidence_range")
        ),
        sa.ForeignKeyConstraint(
            ["assistant_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_ai_replies_assistant_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_ai_replies_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_replies")),
    )
    with op.batch_alter_table("ai_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ai_replies_assistant_version_id"), ["assistant_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ai_replies_message_id"), ["message_id"], unique=False)
        batch_op.create_index(
            "uq_ai_replies_current_message",
            ["message_id"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "ai_stress_test_log",
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("interaction_key", sa.String(length=128), nullable=False),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("reference_reply", sa.Text(), nullable=True),
        sa.Column("live_reply", sa.Text(), nullable=False),
        sa.Column("candidate_reply", sa.Text(), nullable=False),
        sa.Column("live_score", sa.Float(), nullable=False),
        sa.Column("candidate_score", sa.Float(), nullable=False),
        sa.Column(
            "judge_comments",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("live_latency_ms", sa.Float(), nullable=False),
        sa.Column("candidate_latency_ms", sa.Float(), nullable=False),
        sa.Column(
            "live_version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "candidate_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_ai_stress_test_log_candidate_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["live_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_ai_stress_test_log_live_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_ai_stress_test_log_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["stress_test_runs.id"],
            name=op.f("fk_ai_stress_test_log_run_id_stress_test_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_stress_test_log")),
        sa.UniqueConstraint(
            "run_id", "interaction_key", name=op.f("uq_ai_stress_test_log_run_id_interaction_key")
        ),
    )
    with op.batch_alter_table("ai_stress_test_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ai_stress_test_log_run_id"), ["run_id"], unique=False)

    op.create_table(
        "analyses",
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("urgency", sa.Float(), nullable=False),
        sa.Column("sentiment", sa.Float(), nullable=False),
        sa.Column("spam", sa.Float(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("out_of_scope", sa.Boolean(), nullable=False),
        sa.Column(
            "confidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column(
            "assistant_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "sentiment >= -1 AND sentiment <= 1", name=op.f("ck_analyses_sentiment_range")
        ),
        sa.CheckConstraint("spam >= 0 AND spam <= 1", name=op.f("ck_analyses_spam_range")),
        sa.CheckConstraint("urgency >= 0 AND urgency <= 1", name=op.f("ck_analyses_urgency_range")),
        sa.ForeignKeyConstraint(
            ["assistant_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_analyses_assistant_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_analyses_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analyses")),
        sa.UniqueConstraint("message_id", name=op.f("uq_analyses_message_id")),
    )
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.create_index("ix_analyses_kind_topic", ["kind", "topic"], unique=False)

    op.create_table(
        "label_corrections",
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.String(length=64), nullable=True),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_label_corrections_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_label_corrections_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_corrections")),
    )
    with op.batch_alter_table("label_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_label_corrections_message_id"), ["message_id"], unique=False
        )

    op.create_table(
        "message_events",
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_message_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_events_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_events")),
    )
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_events_message_id"), ["message_id"], unique=False
        )

    op.create_table(
        "training_examples",
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("completion", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "assistant_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("not_useful_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_training_examples_assistant_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_training_examples_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_examples")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_training_examples_content_hash")),
    )
    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_examples_message_id"), ["message_id"], unique=False
        )

    op.create_table(
        "agent_replies",
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "ai_reply_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("usage", sa.String(length=16), nullable=False),
        sa.Column("edit_distance", sa.Integer(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "usage IN ('unchanged','edited','replaced','none')", name=op.f("ck_agent_replies_usage")
        ),
        sa.ForeignKeyConstraint(
            ["ai_reply_id"],
            ["ai_replies.id"],
            name=op.f("fk_agent_replies_ai_reply_id_ai_replies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_agent_replies_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_agent_replies_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_replies")),
    )
    with op.batch_alter_table("agent_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_replies_ai_reply_id"), ["ai_reply_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agent_replies_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agent_replies_message_id"), ["message_id"], unique=False
        )

    op.create_table(
        "feedback",
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "ai_reply_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("useful", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 1 AND score <= 5)", name=op.f("ck_feedback_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["ai_reply_id"],
            ["ai_replies.id"],
            name=op.f("fk_feedback_ai_reply_id_ai_replies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_feedback_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_feedback_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_ai_reply_id"), ["ai_reply_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_message_id"), ["message_id"], unique=False)
        batch_op.create_index(
            "uq_feedback_current_author_reply",
            ["ai_reply_id", "author_id"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "feedback_replay_log",
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "ai_reply_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("ai_reply", sa.Text(), nullable=False),
        sa.Column("agent_reply", sa.Text(), nullable=True),
        sa.Column("feedback", sa.String(length=3), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column(
            "assistant_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("failure_explanation", sa.Text(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "feedback IN ('yes','no')", name=op.f("ck_feedback_replay_log_feedback")
        ),
        sa.ForeignKeyConstraint(
            ["ai_reply_id"],
            ["ai_replies.id"],
            name=op.f("fk_feedback_replay_log_ai_reply_id_ai_replies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assistant_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_feedback_replay_log_assistant_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_feedback_replay_log_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_replay_log")),
    )
    with op.batch_alter_table("feedback_replay_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_replay_log_assistant_version_id"),
            ["assistant_version_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_replay_log_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_feedback_replay_log_topic"), ["topic"], unique=False)

    op.create_table(
        "training_prompts",
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "ai_reply_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=True),
        sa.Column(
            "assistant_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("improvement_notes", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ai_reply_id"],
            ["ai_replies.id"],
            name=op.f("fk_training_prompts_ai_reply_id_ai_replies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assistant_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_training_prompts_assistant_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_training_prompts_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_prompts")),
    )
    with op.batch_alter_table("training_prompts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_prompts_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_training_prompts_version"), ["version"], unique=False)

    op.create_table(
        "ai_reply_improvements",
        sa.Column("replay_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "ai_reply_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("original_reply", sa.Text(), nullable=False),
        sa.Column("improved_reply", sa.Text(), nullable=False),
        sa.Column(
            "assistant_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("judge_score_before", sa.Float(), nullable=True),
        sa.Column("judge_score_after", sa.Float(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ai_reply_id"],
            ["ai_replies.id"],
            name=op.f("fk_ai_reply_improvements_ai_reply_id_ai_replies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assistant_version_id"],
            ["ai_assistant_versions.id"],
            name=op.f("fk_ai_reply_improvements_assistant_version_id_ai_assistant_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_ai_reply_improvements_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["replay_id"],
            ["feedback_replay_log.id"],
            name=op.f("fk_ai_reply_improvements_replay_id_feedback_replay_log"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_reply_improvements")),
    )
    with op.batch_alter_table("ai_reply_improvements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ai_reply_improvements_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ai_reply_improvements_replay_id"), ["replay_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("ai_reply_improvements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_reply_improvements_replay_id"))
        batch_op.drop_index(batch_op.f("ix_ai_reply_improvements_message_id"))

    op.drop_table("ai_reply_improvements")
    with op.batch_alter_table("training_prompts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_prompts_version"))
        batch_op.drop_index(batch_op.f("ix_training_prompts_message_id"))

    op.drop_table("training_prompts")
    with op.batch_alter_table("feedback_replay_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_replay_log_topic"))
        batch_op.drop_index(batch_op.f("ix_feedback_replay_log_message_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_replay_log_assistant_version_id"))

    op.drop_table("feedback_replay_log")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_feedback_current_author_reply",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.drop_index(batch_op.f("ix_feedback_message_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_author_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_ai_reply_id"))

    op.drop_table("feedback")
    with op.batch_alter_table("agent_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_replies_message_id"))
        batch_op.drop_index(batch_op.f("ix_agent_replies_author_id"))
        batch_op.drop_index(batch_op.f("ix_agent_replies_ai_reply_id"))

    op.drop_table("agent_replies")
    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_examples_message_id"))

    op.drop_table("training_examples")
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_events_message_id"))

    op.drop_table("message_events")
    with op.batch_alter_table("label_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_corrections_message_id"))

    op.drop_table("label_corrections")
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.drop_index("ix_analyses_kind_topic")

    op.drop_table("analyses")
    with op.batch_alter_table("ai_stress_test_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_stress_test_log_run_id"))

    op.drop_table("ai_stress_test_log")
    with op.batch_alter_table("ai_replies", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_ai_replies_current_message",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.drop_index(batch_op.f("ix_ai_replies_message_id"))
        batch_op.drop_index(batch_op.f("ix_ai_replies_assistant_version_id"))

    op.drop_table("ai_replies")
    op.drop_table("stress_test_runs")
    op.drop_table("reply_macros")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_status_received")
        batch_op.drop_index(batch_op.f("ix_messages_received_at"))
        batch_op.drop_index(batch_op.f("ix_messages_customer_id"))
        batch_op.drop_index(batch_op.f("ix_messages_assignee_id"))

    op.drop_table("messages")
    with op.batch_alter_table("fine_tune_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fine_tune_jobs_assistant_version_id"))

    op.drop_table("fine_tune_jobs")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("customers")
    op.drop_table("ai_assistant_versions")
