"""The review state of remembered replies, and the stamp every worker checks for changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartinbox.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime, utcnow

# unreviewed: learned from one agent's reply, suggested only below the auto-snooze threshold;
# approved: a second agent or an admin reviewed it; held: links or e-mail addresses outside
# the allowed domains, never suggested until an admin approves it; junk: not worth
# remembering (too short, no words); removed: an admin took it out of the memory.
REVIEW_STATUSES = ("unreviewed", "approved", "held", "junk", "removed")
# Statuses whose reply is kept out of the memory and out of the training exports.
BLOCKED_STATUSES = ("held", "junk", "removed")


class MemoryReview(IdMixin, CreatedMixin, Base):
    """One reply the memory learned from an agent, keyed by the memory's reference to it."""

    __tablename__ = "memory_reviews"
    __table_args__ = (
        CheckConstraint(
            "status IN ('unreviewed','approved','held','junk','removed')", name="status"
        ),
    )

    ref_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    message: Mapped[str] = mapped_column(Text, nullable=False)
    reply: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    learned_from_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    learned_from: Mapped[str | None] = mapped_column(String(255))
    reviewed_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewed_by: Mapped[str | None] = mapped_column(String(255))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class MemoryStamp(Base):
    """One row: bumped whenever a remembered reply is removed, edited or held, so every
    worker process notices and rebuilds the memory it has loaded."""

    __tablename__ = "memory_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
