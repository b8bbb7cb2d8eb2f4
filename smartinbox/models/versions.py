"""Assistant versions and the fine-tuning jobs that produce them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
)
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

VERSION_STATUSES = ("candidate", "live", "retired")


class AssistantVersion(IdMixin, CreatedMixin, Base):
    __tablename__ = "ai_assistant_versions"
    __table_args__ = (CheckConstraint("status IN ('candidate','live','retired')", name="status"),)

    version_tag: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL")
    )
    provider: Mapped[str] = mapped_column(String(32), default="local", nullable=False)
    model: Mapped[str | None] = mapped_column(String(128))
    fine_tune_id: Mapped[str | None] = mapped_column(String(128))
    system_prompt: Mapped[str] = mapped_column(Text, default="", nullable=False)
    few_shot: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    artifacts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="candidate", nullable=False)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class FineTuneJob(IdMixin, CreatedMixin, Base):
    __tablename__ = "fine_tune_jobs"

    assistant_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ai_assistant_versions.id", ondelete="SET NULL"), index=True
    )
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    provider_job_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    training_file_id: Mapped[str | None] = mapped_column(String(128))
    base_model: Mapped[str | None] = mapped_column(String(128))
    result_model: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(32), default="pending", nullable=False)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    dataset: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class MemoryVectorSet(Base):
    """The reply-memory vectors of one engine (one models folder, by fingerprint).

    A process that loads the engine marks the set used; sets no process has used for a while
    (the models were retrained since) are deleted with their vectors.
    """

    __tablename__ = "memory_vector_sets"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    dimensions: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class MemoryVector(Base):
    """A remembered message's sentence vector and topic, as its engine computed them."""

    __tablename__ = "memory_vectors"
    # The text's hash leads the key: a batch's lookup (`text_sha256 IN (...)`) is an index
    # search whatever the planner's statistics say about a freshly filled table.
    __table_args__ = (PrimaryKeyConstraint("text_sha256", "fingerprint"),)

    fingerprint: Mapped[str] = mapped_column(
        String(64),
        ForeignKey("memory_vector_sets.fingerprint", ondelete="CASCADE"),
        nullable=False,
    )
    # SHA-256 of the message text as the engine reads it (cleaned and cut).
    text_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    vector: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # float32, little-endian
    topic: Mapped[str] = mapped_column(String(LABEL_LENGTH), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
