"""Customer satisfaction: one rating (1-5, optional comment) per solved conversation, given
through the signed link in the reply that solved it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartinbox.models.base import Base, BigId, CreatedMixin, IdMixin, UTCDateTime


class CsatRating(IdMixin, CreatedMixin, Base):
    __tablename__ = "csat_ratings"
    __table_args__ = (
        # Once per solve: the link names the conversation and the moment it was solved.
        UniqueConstraint("conversation_id", "solved_at"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
    )

    conversation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("conversations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    solved_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
