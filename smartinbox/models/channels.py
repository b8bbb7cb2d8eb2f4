"""What the e-mail channel keeps beside a message: its headers, full text and attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartinbox.models.base import Base, BigId, CreatedMixin, IdMixin, JSONType, UTCDateTime, utcnow

# Why an e-mail must never be answered automatically (None: a person wrote it).
AUTOMATED_KINDS = ("auto_reply", "bounce", "list")


class EmailMessage(IdMixin, CreatedMixin, Base):
    """One received e-mail. `messages.body` holds the text analysed (quoted history and
    signature removed); `display_text` the whole text as the customer's client showed it."""

    __tablename__ = "email_messages"

    message_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    header_message_id: Mapped[str] = mapped_column(String(255), index=True, nullable=False)
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    references: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    from_address: Mapped[str] = mapped_column(String(320), default="", nullable=False)
    to_addresses: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    display_text: Mapped[str] = mapped_column(Text, nullable=False)
    has_html: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    automated: Mapped[str | None] = mapped_column(String(16))
    automated_reason: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)


class EmailAttachment(IdMixin, CreatedMixin, Base):
    """A file that came with an e-mail: stored as bytes, only ever offered as a download."""

    __tablename__ = "email_attachments"

    email_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("email_messages.id", ondelete="CASCADE"), index=True, nullable=False
    )
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(127), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # None when the file was over the size limit: listed, but not kept.
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    skipped_reason: Mapped[str | None] = mapped_column(Text)


DELIVERY_STATUSES = ("queued", "sent", "failed")


class ReplyDelivery(IdMixin, CreatedMixin, Base):
    """Getting one agent reply to the customer over a channel: one row per reply and channel,
    so a retried send job or a double click never delivers twice."""

    __tablename__ = "reply_deliveries"
    __table_args__ = (
        UniqueConstraint("agent_reply_id", "channel"),
        CheckConstraint("status IN ('queued','sent','failed')", name="status"),
    )

    agent_reply_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("agent_replies.id", ondelete="CASCADE"), index=True, nullable=False
    )
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="queued", nullable=False)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    # The Message-ID the reply goes out with, fixed before the first try: a resend after a
    # crash carries the same id, and the customer's answer threads on it.
    rfc_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


WEBHOOK_EVENTS = (
    "message.created",
    "message.analysed",
    "suggestion.created",
    "reply.sent",
    "conversation.status_changed",
)


class WebhookEndpoint(IdMixin, CreatedMixin, Base):
    """A URL that receives signed events. The secret is stored encrypted with the app's key."""

    __tablename__ = "webhook_endpoints"

    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    secret_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    events: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class WebhookDelivery(IdMixin, CreatedMixin, Base):
    """One event for one endpoint, and the log of getting it there (the body never changes
    between tries, so the receiver can deduplicate on the delivery id)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (CheckConstraint("status IN ('queued','sent','failed')", name="status"),)

    endpoint_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True, nullable=False
    )
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="queued", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_response: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
