"""Stress-test runs and their per-interaction log (the seed's ai_stress_test_log)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartinbox.models.base import (
    LABEL_LENGTH,
    Base,
    BigId,
    CreatedMixin,
    IdMixin,
    JSONType,
    UTCDateTime,
)


class StressTestRun(IdMixin, CreatedMixin, Base):
    __tablename__ = "stress_test_runs"

    status: Mapped[str] = mapped_column(String(16), default="running", nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    live_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )
    candidate_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StressTestLog(IdMixin, CreatedMixin, Base):
    __tablename__ = "ai_stress_test_log"
    __table_args__ = (UniqueConstraint("run_id", "interaction_key"),)

    run_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("stress_test_runs.id", ondelete="CASCADE"), index=True, nullable=False
    )
    interaction_key: Mapped[str] = mapped_column(String(128), nullable=False)
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL")
    )
    message: Mapped[str] = mapped_column(Text, nullable=False)
    topic: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    reference_reply: Mapped[str | None] = mapped_column(Text)
    live_reply: Mapped[str] = mapped_column(Text, nullable=False)
    candidate_reply: Mapped[str] = mapped_column(Text, nullable=False)
    live_score: Mapped[float] = mapped_column(Float, nullable=False)
    candidate_score: Mapped[float] = mapped_column(Float, nullable=False)
    judge_comments: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    live_latency_ms: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    candidate_latency_ms: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    live_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )
    candidate_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )


class HarnessRun(IdMixin, CreatedMixin, Base):
    """One run of the simulated-failure harness: what it planned, and its stored report."""

    __tablename__ = "harness_runs"

    status: Mapped[str] = mapped_column(String(16), default="running", nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    live_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )
    candidate_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )
    report: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HarnessCase(IdMixin, CreatedMixin, Base):
    """One simulated bad reply, its improvement and the judge's score before and after."""

    __tablename__ = "harness_cases"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    run_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("harness_runs.id", ondelete="CASCADE"), index=True, nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(LABEL_LENGTH), nullable=False)
    topic: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    message: Mapped[str] = mapped_column(Text, nullable=False)
    reference_reply: Mapped[str] = mapped_column(Text, nullable=False)
    bad_reply: Mapped[str] = mapped_column(Text, nullable=False)
    improved_reply: Mapped[str] = mapped_column(Text, nullable=False)
    model: Mapped[str | None] = mapped_column(String(128))
    score_before: Mapped[float] = mapped_column(Float, nullable=False)
    score_after: Mapped[float] = mapped_column(Float, nullable=False)
    fixed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    comments: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    latency_ms: Mapped[float] = mapped_column(Float, nullable=False)
