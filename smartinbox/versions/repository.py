"""All SQL of the versions domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from smartinbox.db import upsert
from smartinbox.models import (
    AgentReply,
    AIReply,
    AnalyticsEscalation,
    AssistantVersion,
    Feedback,
    MemoryVector,
    MemoryVectorSet,
    TrainingPrompt,
)


def live(session: Session) -> AssistantVersion | None:
    return session.scalar(select(AssistantVersion).where(AssistantVersion.status == "live"))


def by_tag(session: Session, tag: str) -> AssistantVersion | None:
    return session.scalar(select(AssistantVersion).where(AssistantVersion.version_tag == tag))


def all_versions(session: Session) -> Sequence[AssistantVersion]:
    return session.scalars(select(AssistantVersion).order_by(AssistantVersion.id)).all()


def newest_candidate(session: Session) -> AssistantVersion | None:
    return session.scalar(
        select(AssistantVersion)
        .where(AssistantVersion.status == "candidate")
        .order_by(AssistantVersion.id.desc())
        .limit(1)
    )


def previous_live(session: Session, current: AssistantVersion) -> AssistantVersion | None:
    """The version that was live before `current`: the most recently promoted retired one."""
    return session.scalar(
        select(AssistantVersion)
        .where(
            AssistantVersion.status == "retired",
            AssistantVersion.promoted_at.is_not(None),
            AssistantVersion.id != current.id,
        )
        .order_by(AssistantVersion.promoted_at.desc(), AssistantVersion.id.desc())
        .limit(1)
    )


def latest_training_prompt(session: Session, version_id: int) -> TrainingPrompt | None:
    return session.scalar(
        select(TrainingPrompt)
        .where(TrainingPrompt.assistant_version_id == version_id)
        .order_by(TrainingPrompt.updated_at.desc(), TrainingPrompt.id.desc())
        .limit(1)
    )


def reply_figures(session: Session, version_id: int) -> dict[str, float]:
    """Replies written by a version, their confidence (mean, mean square) and snoozes."""
    row = session.execute(
        select(
            func.count(AIReply.id),
            func.coalesce(func.avg(AIReply.confidence), 0.0),
            func.coalesce(func.avg(AIReply.confidence * AIReply.confidence), 0.0),
            func.coalesce(func.sum(case((AIReply.snoozed, 1), else_=0)), 0),
            func.count(func.distinct(AIReply.message_id)),
        ).where(AIReply.assistant_version_id == version_id)
    ).one()
    return {"replies": row[0], "confidence_mean": float(row[1]), "confidence_sq": float(row[2]),
            "snoozed": int(row[3]), "messages": row[4]}  # fmt: skip


def rating_figures(session: Session, version_id: int) -> tuple[int, int]:
    """(rated useful, rated) over the current ratings of the version's replies."""
    row = session.execute(
        select(func.coalesce(func.sum(case((Feedback.useful, 1), else_=0)), 0), func.count())
        .select_from(Feedback)
        .join(AIReply, AIReply.id == Feedback.ai_reply_id)
        .where(AIReply.assistant_version_id == version_id, Feedback.is_current)
    ).one()
    return int(row[0]), int(row[1])


def usage_figures(session: Session, version_id: int) -> dict[str, int]:
    """How agents' final replies used the version's suggestions: unchanged / edited / replaced."""
    rows = session.execute(
        select(AgentReply.usage, func.count())
        .join(AIReply, AIReply.id == AgentReply.ai_reply_id)
        .where(AIReply.assistant_version_id == version_id)
        .group_by(AgentReply.usage)
    )
    return {usage: int(n) for usage, n in rows}


def escalations(session: Session, version_id: int) -> int:
    return int(
        session.scalar(select(func.count()).where(AnalyticsEscalation.version_id == version_id))
        or 0
    )


def memory_vectors(
    session: Session, fingerprint: str, keys: Sequence[str]
) -> list[tuple[str, bytes, str]]:
    """(text_sha256, vector, topic) of the keys the fingerprint's set holds."""
    if not keys:
        return []
    rows = session.execute(
        select(MemoryVector.text_sha256, MemoryVector.vector, MemoryVector.topic).where(
            MemoryVector.fingerprint == fingerprint, MemoryVector.text_sha256.in_(list(keys))
        )
    )
    return [(key, bytes(vector), topic) for key, vector, topic in rows]


def put_memory_vectors(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert vectors, replacing a key's row where there is one (a damaged row recomputed)."""
    if rows:
        keys = ["text_sha256", "fingerprint"]
        session.execute(upsert(session, MemoryVector, keys, ["vector", "topic"]), list(rows))


def use_memory_vector_set(
    session: Session, fingerprint: str, dimensions: int, now: datetime
) -> None:
    """Create the fingerprint's set, or mark it used now."""
    session.execute(
        upsert(session, MemoryVectorSet, ["fingerprint"], ["last_used_at"]),
        [{"fingerprint": fingerprint, "dimensions": dimensions, "created_at": now,
          "last_used_at": now}],
    )  # fmt: skip


def drop_memory_vector_sets(session: Session, unused_since: datetime) -> int:
    """Delete the sets (and their vectors) no process has used since `unused_since`."""
    stale = select(MemoryVectorSet.fingerprint).where(MemoryVectorSet.last_used_at < unused_since)
    fingerprints = list(session.scalars(stale))
    if fingerprints:
        session.execute(delete(MemoryVector).where(MemoryVector.fingerprint.in_(fingerprints)))
        session.execute(
            delete(MemoryVectorSet).where(MemoryVectorSet.fingerprint.in_(fingerprints))
        )
    return len(fingerprints)
