"""Agent feedback on suggestions and everything the learning loop derives from it."""

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
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

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


class Feedback(IdMixin, CreatedMixin, Base):
    """One agent's rating of one suggestion. A re-rating adds a row and retires the old one."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),
        Index(
            "uq_feedback_current_author_reply",
            "ai_reply_id",
            "author_id",
            unique=True,
            sqlite_where=sql_text("is_current"),
            postgresql_where=sql_text("is_current"),
        ),
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
    useful: Mapped[bool] = mapped_column(Boolean, nullable=False)
    score: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class FeedbackReplayLog(IdMixin, CreatedMixin, Base):
    """Customer message, AI reply, agent reply and rating, side by side (the seed's table)."""

    __tablename__ = "feedback_replay_log"
    __table_args__ = (
        CheckConstraint("feedback IN ('yes','no')", name="feedback"),
        # Rows captured from the inbox flow: one per suggestion, so re-running a capture updates it.
        Index(
            "uq_feedback_replay_log_message_ai_reply",
            "message_id",
            "ai_reply_id",
            unique=True,
            sqlite_where=sql_text("message_id IS NOT NULL"),
            postgresql_where=sql_text("message_id IS NOT NULL"),
        ),
    )

    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    ai_reply_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_replies.id", ondelete="SET NULL")
    )
    message: Mapped[str] = mapped_column(Text, nullable=False)
    ai_reply: Mapped[str] = mapped_column(Text, nullable=False)
    agent_reply: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(String(3))
    topic: Mapped[str | None] = mapped_column(String(LABEL_LENGTH), index=True)
    assistant_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL"), index=True
    )
    failure_explanation: Mapped[str | None] = mapped_column(Text)
    # Who wrote the explanation: {"provider", "model", "prompt_version"}.
    failure_explanation_provenance: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class AIReplyImprovement(IdMixin, CreatedMixin, Base):
    """A "Generate improved reply" result, kept beside the original."""

    __tablename__ = "ai_reply_improvements"

    replay_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("feedback_replay_log.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    ai_reply_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_replies.id", ondelete="SET NULL")
    )
    original_reply: Mapped[str] = mapped_column(Text, nullable=False)
    improved_reply: Mapped[str] = mapped_column(Text, nullable=False)
    assistant_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )
    model: Mapped[str | None] = mapped_column(String(128))
    provider: Mapped[str | None] = mapped_column(String(32))
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    judge_score_before: Mapped[float | None] = mapped_column(Float)
    judge_score_after: Mapped[float | None] = mapped_column(Float)


class AIReplyExplanation(IdMixin, CreatedMixin, Base):
    """A "Why this reply?" answer for a suggestion, with who wrote it (each click adds a row)."""

    __tablename__ = "ai_reply_explanations"

    ai_reply_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ai_replies.id", ondelete="CASCADE"), index=True, nullable=False
    )
    text: Mapped[str] = mapped_column(Text, nullable=False)
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    model: Mapped[str] = mapped_column(String(128), nullable=False)
    prompt_version: Mapped[str | None] = mapped_column(String(64))


class TrainingPrompt(IdMixin, CreatedMixin, Base):
    """The seed's training prompt: message, AI reply, usefulness and the agent's correction."""

    __tablename__ = "training_prompts"

    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    ai_reply_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_replies.id", ondelete="SET NULL")
    )
    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    version: Mapped[str | None] = mapped_column(String(32), index=True)
    assistant_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )
    improvement_notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class TrainingExample(IdMixin, CreatedMixin, Base):
    """A (prompt, completion) pair for fine-tuning; near-duplicates merge on content_hash."""

    __tablename__ = "training_examples"

    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    completion: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str] = mapped_column(String(32), nullable=False)
    weight: Mapped[float] = mapped_column(Float, default=1.0, nullable=False)
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    assistant_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )
    content_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    not_useful_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class TrainingExampleSource(IdMixin, CreatedMixin, Base):
    """Where a (merged) training example came from: one row per message or replay row.

    Keeps merging idempotent (capturing the same message twice changes nothing) and makes the
    example's "not useful" count traceable to the ratings behind it.
    """

    __tablename__ = "training_example_sources"
    __table_args__ = (UniqueConstraint("example_id", "source_key"),)

    example_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("training_examples.id", ondelete="CASCADE"), index=True, nullable=False
    )
    source_key: Mapped[str] = mapped_column(String(64), nullable=False)
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    not_useful: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
