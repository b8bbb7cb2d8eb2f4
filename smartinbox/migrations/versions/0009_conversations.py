"""conversations: every message belongs to one; notes, events, reply idempotency keys

Existing messages are threaded as new ones are: each message starts as its own conversation,
then messages of the same customer with the same normalised subject within the window join
the earlier conversation.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-05 18:20:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

from smartinbox.config import get_settings
from smartinbox.kit.subjects import normalise_subject
from smartinbox.models.base import BigId, JSONType, UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 2000


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("thread_key", sa.String(length=255), nullable=True),
        sa.Column("customer_id", BigId, nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("subject_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("snoozed_until", UTCDateTime(), nullable=True),
        sa.Column("assignee_id", BigId, nullable=True),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("priority_rank", sa.Integer(), nullable=False),
        sa.Column("priority_source", sa.String(length=8), nullable=False),
        sa.Column("tags", JSONType, nullable=False),
        sa.Column("spam", sa.Boolean(), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("first_message_at", UTCDateTime(), nullable=False),
        sa.Column("last_message_at", UTCDateTime(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("first_response_at", UTCDateTime(), nullable=True),
        sa.Column("first_response_due", UTCDateTime(), nullable=True),
        sa.Column("resolution_due", UTCDateTime(), nullable=True),
        sa.Column("solved_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open','pending','snoozed','solved','closed')",
            name=op.f("ck_conversations_status"),
        ),
        sa.CheckConstraint(
            "priority IN ('urgent','high','normal','low')", name=op.f("ck_conversations_priority")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_conversations_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_conversations_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint(
            "channel", "thread_key", name=op.f("uq_conversations_channel_thread_key")
        ),
    )
    op.create_index(
        "ix_conversations_customer_subject",
        "conversations",
        ["customer_id", "subject_key", "last_message_at"],
    )
    op.create_index(
        "ix_conversations_queue", "conversations", ["status", "priority_rank", "first_response_due"]
    )
    op.create_index(op.f("ix_conversations_assignee_id"), "conversations", ["assignee_id"])
    op.create_index(op.f("ix_conversations_customer_id"), "conversations", ["customer_id"])
    op.create_index(op.f("ix_conversations_snoozed_until"), "conversations", ["snoozed_until"])
    for table in ("conversation_notes", "conversation_events"):
        columns: list[Any] = [
            sa.Column("conversation_id", BigId, nullable=False),
        ]
        if table == "conversation_notes":
            columns += [
                sa.Column("author_id", BigId, nullable=True),
                sa.Column("text", sa.Text(), nullable=False),
            ]
            actor = "author_id"
        else:
            columns += [
                sa.Column("event", sa.String(length=32), nullable=False),
                sa.Column("actor_id", BigId, nullable=True),
                sa.Column("data", JSONType, nullable=False),
            ]
            actor = "actor_id"
        op.create_table(
            table,
            *columns,
            sa.Column("id", BigId, autoincrement=True, nullable=False),
            sa.Column("created_at", UTCDateTime(), nullable=False),
            sa.ForeignKeyConstraint(
                ["conversation_id"],
                ["conversations.id"],
                name=op.f(f"fk_{table}_conversation_id_conversations"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                [actor], ["users.id"], name=op.f(f"fk_{table}_{actor}_users"), ondelete="SET NULL"
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_conversation_id"), table, ["conversation_id"])

    # No foreign key: SQLite can add one only by rebuilding `messages`, which with foreign keys
    # on would cascade-delete every analysis and reply. Conversations are never deleted.
    op.add_column("messages", sa.Column("conversation_id", BigId, nullable=True))
    op.create_index(op.f("ix_messages_conversation_id"), "messages", ["conversation_id"])
    op.add_column(
        "ai_replies",
        sa.Column("context_refs", JSONType, nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column(
        "agent_replies", sa.Column("idempotency_key", sa.String(length=64), nullable=True)
    )
    op.create_index(
        "uq_agent_replies_idempotency_key", "agent_replies", ["idempotency_key"], unique=True
    )
    _thread_existing_messages()


def _thread_existing_messages() -> None:
    bind = op.get_bind()
    window = timedelta(hours=get_settings().conversation_window_hours)
    messages = sa.table(
        "messages",
        sa.column("id", BigId),
        sa.column("channel", sa.String()),
        sa.column("customer_id", BigId),
        sa.column("subject", sa.String()),
        sa.column("status", sa.String()),
        sa.column("received_at", UTCDateTime()),
        sa.column("conversation_id", BigId),
    )
    conversations = sa.table(
        "conversations",
        *(
            sa.column(name, kind)
            for name, kind in (
                ("id", BigId),
                ("channel", sa.String()),
                ("customer_id", BigId),
                ("subject", sa.String()),
                ("subject_key", sa.String()),
                ("status", sa.String()),
                ("priority", sa.String()),
                ("priority_rank", sa.Integer()),
                ("priority_source", sa.String()),
                ("tags", JSONType),
                ("spam", sa.Boolean()),
                ("message_count", sa.Integer()),
                ("first_message_at", UTCDateTime()),
                ("last_message_at", UTCDateTime()),
                ("opened_at", UTCDateTime()),
                ("first_response_at", UTCDateTime()),
                ("updated_at", UTCDateTime()),
                ("created_at", UTCDateTime()),
            )
        ),
    )
    replies = sa.table(
        "agent_replies", sa.column("message_id", BigId), sa.column("created_at", UTCDateTime())
    )
    # Oldest first, so that each message either joins the thread its predecessor started
    # (same customer and subject within the window) or starts its own.
    rows = bind.execute(
        sa.select(
            messages.c.id,
            messages.c.channel,
            messages.c.customer_id,
            messages.c.subject,
            messages.c.status,
            messages.c.received_at,
        ).order_by(messages.c.received_at, messages.c.id)
    ).all()
    open_threads: dict[tuple[int, str], dict[str, Any]] = {}
    threads: list[dict[str, Any]] = []
    for mid, channel, customer_id, subject, status, received_at in rows:
        key = normalise_subject(subject)
        thread = open_threads.get((customer_id, key)) if customer_id is not None else None
        if thread is None or received_at - thread["last"] > window:
            thread = {
                "channel": channel,
                "customer_id": customer_id,
                "subject": subject or "",
                "key": key,
                "ids": [],
                "first": received_at,
                "last": received_at,
                "status": status,
            }
            threads.append(thread)
            if customer_id is not None:
                open_threads[(customer_id, key)] = thread
        thread["ids"].append(mid)
        thread["last"] = received_at
        thread["status"] = status
    now = datetime.now(UTC)
    state = {"replied": "pending", "closed": "closed"}
    for start in range(0, len(threads), CHUNK):
        chunk = threads[start : start + CHUNK]
        for thread in chunk:
            result = bind.execute(
                sa.insert(conversations)
                .values(
                    channel=thread["channel"],
                    customer_id=thread["customer_id"],
                    subject=thread["subject"][:998],
                    subject_key=thread["key"],
                    status=state.get(thread["status"], "open"),
                    priority="normal",
                    priority_rank=2,
                    priority_source="auto",
                    tags=[],
                    spam=False,
                    message_count=len(thread["ids"]),
                    first_message_at=thread["first"],
                    last_message_at=thread["last"],
                    opened_at=thread["first"],
                    updated_at=now,
                    created_at=now,
                )
                .returning(conversations.c.id)
            )
            conversation_id = result.scalar_one()
            for i in range(0, len(thread["ids"]), 500):
                bind.execute(
                    sa.update(messages)
                    .where(messages.c.id.in_(thread["ids"][i : i + 500]))
                    .values(conversation_id=conversation_id)
                )
    # The first response of each migrated conversation: its earliest agent reply.
    first_reply = (
        sa.select(sa.func.min(replies.c.created_at))
        .select_from(replies.join(messages, messages.c.id == replies.c.message_id))
        .where(messages.c.conversation_id == conversations.c.id)
        .scalar_subquery()
    )
    bind.execute(sa.update(conversations).values(first_response_at=first_reply))


def downgrade() -> None:
    op.drop_index("uq_agent_replies_idempotency_key", table_name="agent_replies")
    op.drop_column(
        "agent_replies", "idempotency_key"
    )  # in place: SQLite 3.35+ drops columns natively
    op.drop_column("ai_replies", "context_refs")  # in place: SQLite 3.35+ drops columns natively
    op.drop_index(op.f("ix_messages_conversation_id"), table_name="messages")
    op.drop_column("messages", "conversation_id")  # in place: SQLite 3.35+ drops columns natively
    op.drop_table("conversation_events")
    op.drop_table("conversation_notes")
    op.drop_table("conversations")
