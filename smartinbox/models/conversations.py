"""Conversations: the thread a customer's messages and the team's replies belong to, with the
workflow state agents work on (status, assignee, tags, priority, SLA due times), its internal
notes and its timeline of events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartinbox.models.base import (
    Base,
    BigId,
    CreatedMixin,
    IdMixin,
    JSONType,
    UTCDateTime,
    utcnow,
)

CONVERSATION_STATUSES = ("open", "pending", "snoozed", "solved", "closed")
PRIORITIES = ("urgent", "high", "normal", "low")
# Sort order of priorities: the most urgent first.
PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}


class Conversation(IdMixin, CreatedMixin, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # A channel's own thread key (chat id, e-mail thread) names one conversation.
        UniqueConstraint("channel", "thread_key"),
        Index("ix_conversations_customer_subject", "customer_id", "subject_key", "last_message_at"),
        Index("ix_conversations_queue", "status", "priority_rank", "first_response_due"),
        CheckConstraint("status IN ('open','pending','snoozed','solved','closed')", name="status"),
        CheckConstraint("priority IN ('urgent','high','normal','low')", name="priority"),
    )

    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    thread_key: Mapped[str | None] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(998), default="", nullable=False)
    # The subject without Re:/Fwd:/AW:... prefixes, lower-cased: what follow-ups are matched on.
    subject_key: Mapped[str] = mapped_column(String(255), default="", nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="open", nullable=False)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    assignee_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    priority: Mapped[str] = mapped_column(String(8), default="normal", nullable=False)
    priority_rank: Mapped[int] = mapped_column(Integer, default=2, nullable=False)
    # "auto": follows the triage of the latest message; "manual": an agent set it.
    priority_source: Mapped[str] = mapped_column(String(8), default="auto", nullable=False)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    # Set when the triage calls its first message spam; the default views leave it out.
    spam: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    message_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    first_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # Start of the current open period (first message, or the message that reopened it):
    # the resolution clock runs from here.
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class ConversationNote(IdMixin, CreatedMixin, Base):
    """An internal note: seen by the team, never sent to the customer."""

    __tablename__ = "conversation_notes"

    conversation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("conversations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text, nullable=False)


class ConversationEvent(IdMixin, CreatedMixin, Base):
    """One change of a conversation (status, assignee, tags, priority, note, reply, merge),
    with who made it: the conversation's timeline."""

    __tablename__ = "conversation_events"

    conversation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("conversations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    event: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
