"""e-mail channel: received e-mails (headers, full text, automated flag), attachments, reply deliveries,
webhook endpoints and their delivery log

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-05 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smartinbox.models.base import BigId, JSONType, UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_messages",
        sa.Column("message_id", BigId, nullable=False),
        sa.Column("header_message_id", sa.String(length=255), nullable=False),
        sa.Column("in_reply_to", sa.String(length=255), nullable=True),
        sa.Column("references", JSONType, nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("to_addresses", JSONType, nullable=False),
        sa.Column("display_text", sa.Text(), nullable=False),
        sa.Column("has_html", sa.Boolean(), nullable=False),
        sa.Column("automated", sa.String(length=16), nullable=True),
        sa.Column("automated_reason", sa.String(length=200), nullable=True),
        sa.Column("headers", JSONType, nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_email_messages_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_email_messages_message_id")),
    )
    op.create_index(
        op.f("ix_email_messages_header_message_id"), "email_messages", ["header_message_id"]
    )
    op.create_table(
        "email_attachments",
        sa.Column("email_id", BigId, nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("skipped_reason", sa.Text(), nullable=True),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["email_messages.id"],
            name=op.f("fk_email_attachments_email_id_email_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_attachments")),
    )
    op.create_index(op.f("ix_email_attachments_email_id"), "email_attachments", ["email_id"])
    op.create_table(
        "reply_deliveries",
        sa.Column("agent_reply_id", BigId, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("rfc_message_id", sa.String(length=255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued','sent','failed')", name=op.f("ck_reply_deliveries_status")
        ),
        sa.ForeignKeyConstraint(
            ["agent_reply_id"],
            ["agent_replies.id"],
            name=op.f("fk_reply_deliveries_agent_reply_id_agent_replies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_deliveries")),
        sa.UniqueConstraint(
            "agent_reply_id", "channel", name=op.f("uq_reply_deliveries_agent_reply_id_channel")
        ),
    )
    for column in ("agent_reply_id", "rfc_message_id", "next_attempt_at"):
        op.create_index(op.f(f"ix_reply_deliveries_{column}"), "reply_deliveries", [column])
    op.create_table(
        "webhook_endpoints",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("events", JSONType, nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint("name", name=op.f("uq_webhook_endpoints_name")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("endpoint_id", BigId, nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_response", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued','sent','failed')", name=op.f("ck_webhook_deliveries_status")
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    for column in ("endpoint_id", "next_attempt_at"):
        op.create_index(op.f(f"ix_webhook_deliveries_{column}"), "webhook_deliveries", [column])


def downgrade() -> None:
    for column in ("endpoint_id", "next_attempt_at"):
        op.drop_index(op.f(f"ix_webhook_deliveries_{column}"), table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    for column in ("agent_reply_id", "rfc_message_id", "next_attempt_at"):
        op.drop_index(op.f(f"ix_reply_deliveries_{column}"), table_name="reply_deliveries")
    op.drop_table("reply_deliveries")
    op.drop_index(op.f("ix_email_attachments_email_id"), table_name="email_attachments")
    op.drop_table("email_attachments")
    op.drop_index(op.f("ix_email_messages_header_message_id"), table_name="email_messages")
    op.drop_table("email_messages")
