"""What the e-mail channel keeps beside a message: its headers, full text and attachments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartinbox.models.base import Base, BigId, CreatedMixin, IdMixin, JSONType

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
