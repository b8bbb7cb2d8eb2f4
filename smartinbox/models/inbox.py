"""Customers, their messages, the automatic analysis and the replies (AI and agent)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartinbox.models.base import (
    LABEL_LENGTH,
    Base,
    BigId,
    CreatedMixin,
    IdMixin,
    JSONType,
    UTCDateTime,
    utcnow,
)

MESSAGE_STATUSES = ("new", "open", "snoozed", "replied", "escalated", "closed")
KINDS = ("complaint", "question", "urgent", "casual", "spam")
REPLY_USAGE = ("unchanged", "edited", "replaced", "none")


class Customer(IdMixin, CreatedMixin, Base):
    __tablename__ = "customers"

    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)


class Message(IdMixin, CreatedMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_messages_status_received", "status", "received_at"),
        CheckConstraint(
            "status IN ('new','open','snoozed','replied','escalated','closed')", name="status"
        ),
    )

    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    external_id: Mapped[str] = mapped_column(String(255), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    # Set at ingest for every message; nullable only because existing tables gained it later.
    # Not a foreign key: SQLite could add one only by rebuilding this table (see 0009), and
    # conversations are never deleted.
    conversation_id: Mapped[int | None] = mapped_column(BigId, index=True)
    subject: Mapped[str] = mapped_column(String(998), default="", nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # "html" bodies are kept exactly as sent and always displayed as text.
    body_format: Mapped[str] = mapped_column(String(8), default="text", nullable=False)
    received_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, index=True, nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), default="new", nullable=False)
    assignee_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="api", nullable=False)
    # Labels that came with imported history (ground truth for training and evaluation).
    label_kind: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    label_topic: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )

    customer: Mapped[Customer | None] = relationship()
    analysis: Mapped[Analysis | None] = relationship(
        back_populates="message", uselist=False, lazy="selectin"
    )


class Analysis(IdMixin, CreatedMixin, Base):
    """The triage of one message; one row per message, replaced when re-analysed."""

    __tablename__ = "analyses"
    __table_args__ = (
        CheckConstraint("urgency >= 0 AND urgency <= 1", name="urgency_range"),
        CheckConstraint("sentiment >= -1 AND sentiment <= 1", name="sentiment_range"),
        CheckConstraint("spam >= 0 AND spam <= 1", name="spam_range"),
        Index("ix_analyses_kind_topic", "kind", "topic"),
    )

    message_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    kind: Mapped[str] = mapped_column(String(LABEL_LENGTH), nullable=False)
    topic: Mapped[str] = mapped_column(String(LABEL_LENGTH), nullable=False)
    urgency: Mapped[float] = mapped_column(Float, nullable=False)
    sentiment: Mapped[float] = mapped_column(Float, nullable=False)
    spam: Mapped[float] = mapped_column(Float, nullable=False)
    language: Mapped[str] = mapped_column(String(16), nullable=False)
    out_of_scope: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    confidence: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict, nullable=False)
    model_version: Mapped[str] = mapped_column(String(64), nullable=False)
    assistant_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )

    message: Mapped[Message] = relationship(back_populates="analysis")


class AIReply(IdMixin, CreatedMixin, Base):
    """A suggested reply. Regeneration adds a row; exactly one per message is current."""

    __tablename__ = "ai_replies"
    __table_args__ = (
        Index(
            "uq_ai_replies_current_message",
            "message_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
    )

    message_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="CASCADE"), index=True, nullable=False
    )
    text: Mapped[str] = mapped_column(Text, nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    snoozed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    snooze_reason: Mapped[str | None] = mapped_column(String(500))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    assistant_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL"), index=True
    )
    provider: Mapped[str] = mapped_column(String(32), default="local", nullable=False)
    model: Mapped[str] = mapped_column(String(128), nullable=False)
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # The earlier turns of the conversation the engine was given ("message:12", "reply:3").
    context_refs: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    # Shown beside a suggestion built from a remembered reply nobody has reviewed yet.
    review_note: Mapped[str | None] = mapped_column(String(300))


class AgentReply(IdMixin, CreatedMixin, Base):
    """The reply an agent actually sent, and how it relates to the AI suggestion."""

    __tablename__ = "agent_replies"
    __table_args__ = (
        CheckConstraint("usage IN ('unchanged','edited','replaced','none')", name="usage"),
        # One reply per send: a retried or double-clicked send carries the same key.
        Index("uq_agent_replies_idempotency_key", "idempotency_key", unique=True),
    )

    message_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="CASCADE"), index=True, nullable=False
    )
    ai_reply_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_replies.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text, nullable=False)
    usage: Mapped[str] = mapped_column(String(16), default="none", nullable=False)
    edit_distance: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # The macro the agent inserted before sending, if any: the reply is then evidence of
    # source "macro" in the reply memory. No foreign key (SQLite would have to rebuild the
    # table); a deleted macro leaves the id as a record of what was used.
    macro_id: Mapped[int | None] = mapped_column(BigId)


class MessageEvent(IdMixin, CreatedMixin, Base):
    """Audit trail of a message: status changes, reassignments, replies, escalations."""

    __tablename__ = "message_events"

    message_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="CASCADE"), index=True, nullable=False
    )
    event: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)


class LabelCorrection(IdMixin, CreatedMixin, Base):
    """An agent's correction of a triage field ("billing, not shipping"): a training label."""

    __tablename__ = "label_corrections"

    message_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="CASCADE"), index=True, nullable=False
    )
    field: Mapped[str] = mapped_column(String(32), nullable=False)
    old_value: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    value: Mapped[str] = mapped_column(String(LABEL_LENGTH), nullable=False)
    author_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )


class ReplyMacro(IdMixin, CreatedMixin, Base):
    """A team-written reply template with {placeholders}, part of the reply memory, and the
    actions applied to the conversation when a reply made from it is sent."""

    __tablename__ = "reply_macros"

    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    topic: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    example_message: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    # Applied when the reply is sent: a conversation status ("pending", "solved"...) and tags.
    set_status: Mapped[str | None] = mapped_column(String(16))
    add_tags: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)
