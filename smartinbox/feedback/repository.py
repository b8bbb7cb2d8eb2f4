"""All SQL of the feedback domain: ratings, replay rows, training prompts and examples."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, func, select, update
from sqlalchemy.orm import Session, aliased

from smartinbox.feedback.schemas import ReplayFilters
from smartinbox.models import (
    AgentReply,
    AIReply,
    AIReplyExplanation,
    AIReplyImprovement,
    Analysis,
    AssistantVersion,
    Feedback,
    FeedbackReplayLog,
    FineTuneJob,
    Message,
    TrainingExample,
    TrainingExampleSource,
    TrainingPrompt,
)
from smartinbox.models.memory import BLOCKED_STATUSES, MemoryReview


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def current_feedback(session: Session, ai_reply_id: int, author_id: int | None) -> Feedback | None:
    return session.scalar(
        select(Feedback).where(
            Feedback.ai_reply_id == ai_reply_id,
            Feedback.author_id.is_(None) if author_id is None else Feedback.author_id == author_id,
            Feedback.is_current.is_(True),
        )
    )


def retire_feedback(session: Session, feedback_id: int) -> None:
    session.execute(update(Feedback).where(Feedback.id == feedback_id).values(is_current=False))
    session.flush()


def count_history(session: Session, ai_reply_id: int, author_id: int | None) -> int:
    stmt = select(func.count()).where(
        Feedback.ai_reply_id == ai_reply_id,
        Feedback.author_id == author_id,
        Feedback.is_current.is_(False),
    )
    return int(session.scalar(stmt) or 0)


def latest_rating(session: Session, ai_reply_id: int) -> Feedback | None:
    """The most recent current rating of a suggestion (any agent)."""
    return session.scalar(
        select(Feedback)
        .where(Feedback.ai_reply_id == ai_reply_id, Feedback.is_current.is_(True))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(1)
    )


def not_useful_count(session: Session, message_id: int) -> int:
    stmt = select(func.count()).where(
        Feedback.message_id == message_id,
        Feedback.is_current.is_(True),
        Feedback.useful.is_(False),
    )
    return int(session.scalar(stmt) or 0)


def latest_agent_reply(session: Session, message_id: int) -> AgentReply | None:
    return session.scalar(
        select(AgentReply)
        .where(AgentReply.message_id == message_id)
        .order_by(AgentReply.created_at.desc(), AgentReply.id.desc())
        .limit(1)
    )


def rated_or_answered_reply(session: Session, message_id: int) -> AIReply | None:
    """The suggestion the agent saw: the current one (ratings and replies attach to it)."""
    return session.scalar(
        select(AIReply).where(AIReply.message_id == message_id, AIReply.is_current.is_(True))
    )


def get_ai_reply(session: Session, ai_reply_id: int) -> AIReply | None:
    return session.get(AIReply, ai_reply_id)


def topic_of(session: Session, message_id: int) -> str | None:
    return session.scalar(select(Analysis.topic).where(Analysis.message_id == message_id))


def topics_of(session: Session, message_ids: set[int], chunk: int = 500) -> dict[int, str]:
    """message id -> its analysis's topic (an agent's correction where there is one)."""
    ids = sorted(message_ids)
    out: dict[int, str] = {}
    for start in range(0, len(ids), chunk):
        stmt = select(Analysis.message_id, Analysis.topic).where(
            Analysis.message_id.in_(ids[start : start + chunk])
        )
        out.update({int(mid): str(topic) for mid, topic in session.execute(stmt) if topic})
    return out


def replay_for(session: Session, message_id: int, ai_reply_id: int) -> FeedbackReplayLog | None:
    return session.scalar(
        select(FeedbackReplayLog).where(
            FeedbackReplayLog.message_id == message_id,
            FeedbackReplayLog.ai_reply_id == ai_reply_id,
        )
    )


def get_replay(session: Session, replay_id: int) -> FeedbackReplayLog | None:
    return session.get(FeedbackReplayLog, replay_id)


def training_prompt_for(
    session: Session, message_id: int, ai_reply_id: int
) -> TrainingPrompt | None:
    return session.scalar(
        select(TrainingPrompt).where(
            TrainingPrompt.message_id == message_id, TrainingPrompt.ai_reply_id == ai_reply_id
        )
    )


def example_by_hash(session: Session, content_hash: str) -> TrainingExample | None:
    return session.scalar(
        select(TrainingExample).where(TrainingExample.content_hash == content_hash)
    )


def example_source(session: Session, example_id: int, key: str) -> TrainingExampleSource | None:
    return session.scalar(
        select(TrainingExampleSource).where(
            TrainingExampleSource.example_id == example_id, TrainingExampleSource.source_key == key
        )
    )


def sum_not_useful(session: Session, example_id: int) -> int:
    stmt = select(func.coalesce(func.sum(TrainingExampleSource.not_useful), 0)).where(
        TrainingExampleSource.example_id == example_id
    )
    return int(session.scalar(stmt) or 0)


def version_by_tag(session: Session, tag: str) -> AssistantVersion | None:
    return session.scalar(select(AssistantVersion).where(AssistantVersion.version_tag == tag))


def version_tags(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(AssistantVersion.id, AssistantVersion.version_tag).where(
            AssistantVersion.id.in_(ids)
        )
    )
    return {int(i): str(t) for i, t in rows}


def _replay_filtered(
    stmt: Select[FeedbackReplayLog], f: ReplayFilters
) -> Select[FeedbackReplayLog]:
    if f.feedback:
        stmt = stmt.where(FeedbackReplayLog.feedback == f.feedback)
    if f.topic:
        stmt = stmt.where(FeedbackReplayLog.topic == f.topic)
    if f.version:
        stmt = stmt.join(
            AssistantVersion, AssistantVersion.id == FeedbackReplayLog.assistant_version_id
        ).where(AssistantVersion.version_tag == f.version)
    if f.since:
        stmt = stmt.where(FeedbackReplayLog.created_at >= f.since)
    return stmt


def list_replays(
    session: Session, f: ReplayFilters, offset: int, limit: int
) -> tuple[list[FeedbackReplayLog], int]:
    base = _replay_filtered(select(FeedbackReplayLog), f)
    total = session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0
    rows = session.scalars(
        base.order_by(FeedbackReplayLog.created_at.desc(), FeedbackReplayLog.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total)


def replay_topics(session: Session) -> list[str]:
    rows = session.scalars(
        select(FeedbackReplayLog.topic).where(FeedbackReplayLog.topic.is_not(None)).distinct()
    )
    return sorted(t for t in rows if t)


def latest_improvements(session: Session, replay_ids: list[int]) -> dict[int, AIReplyImprovement]:
    if not replay_ids:
        return {}
    rows = session.scalars(
        select(AIReplyImprovement)
        .where(AIReplyImprovement.replay_id.in_(replay_ids))
        .order_by(AIReplyImprovement.created_at, AIReplyImprovement.id)
    )
    return {int(r.replay_id): r for r in rows if r.replay_id is not None}


def accepted_replies_for_topic(
    session: Session, topic: str | None, limit: int
) -> list[tuple[str, str]]:
    """Agent-approved replies (message, reply) to learn from, most recent first."""
    stmt = (
        select(FeedbackReplayLog.message, FeedbackReplayLog.agent_reply)
        .where(FeedbackReplayLog.agent_reply.is_not(None))
        .order_by(FeedbackReplayLog.created_at.desc())
        .limit(limit)
    )
    if topic:
        stmt = stmt.where(FeedbackReplayLog.topic == topic)
    return [(m, r) for m, r in session.execute(stmt) if r]


def iter_examples(
    session: Session,
    *,
    since: datetime | None = None,
    version_id: int | None = None,
    min_not_useful: int | None = None,
    batch: int = 2000,
) -> Iterator[TrainingExample]:
    """Every matching example, read in keyset pages so memory stays bounded. Examples whose
    reply the memory review holds back (held, junk, removed) are never read."""
    last_id = 0
    while True:
        stmt = select(TrainingExample).where(
            TrainingExample.id > last_id, _not_blocked(TrainingExample.message_id)
        )
        if since is not None:
            stmt = stmt.where(TrainingExample.updated_at >= since)
        if version_id is not None:
            stmt = stmt.where(TrainingExample.assistant_version_id == version_id)
        if min_not_useful is not None:
            stmt = stmt.where(TrainingExample.not_useful_count > min_not_useful)
        rows = list(session.scalars(stmt.order_by(TrainingExample.id).limit(batch)))
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


@dataclass(frozen=True)
class ReplayExportRow:
    replay: FeedbackReplayLog
    version_tag: str | None
    score: int | None
    notes: str | None


def iter_replays(
    session: Session, f: ReplayFilters, batch: int = 2000
) -> Iterator[ReplayExportRow]:
    """Replay rows with their version tag and the score and notes of the rating they show
    (the suggestion's latest current rating, as the row's yes/no is), oldest first, in keyset
    pages."""
    shown = (
        select(Feedback.id)
        .where(
            Feedback.ai_reply_id == FeedbackReplayLog.ai_reply_id,
            Feedback.is_current.is_(True),
        )
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(1)
        .correlate(FeedbackReplayLog)
        .scalar_subquery()
    )
    rating = aliased(Feedback)
    last_id = 0
    while True:
        stmt = (
            _replay_filtered(
                select(FeedbackReplayLog).where(FeedbackReplayLog.id > last_id),
                f.model_copy(update={"version": None}),
            )
            .add_columns(AssistantVersion.version_tag, rating.score, rating.notes)
            .outerjoin(
                AssistantVersion, AssistantVersion.id == FeedbackReplayLog.assistant_version_id
            )
            .outerjoin(rating, rating.id == shown)
            .order_by(FeedbackReplayLog.id)
            .limit(batch)
        )
        if f.version:
            stmt = stmt.where(AssistantVersion.version_tag == f.version)
        rows = [
            ReplayExportRow(r, tag, score, notes) for r, tag, score, notes in session.execute(stmt)
        ]
        if not rows:
            return
        yield from rows
        last_id = rows[-1].replay.id
        session.expunge_all()


def _not_blocked(message_id: Any) -> Any:
    """No memory review holds back the reply to this message (see smartinbox/memory)."""
    blocked = select(MemoryReview.id).where(
        MemoryReview.message_id == message_id, MemoryReview.status.in_(BLOCKED_STATUSES)
    )
    return ~blocked.exists()


def snoozed_and_answered(session: Session, batch: int = 2000) -> Iterator[tuple[int, str, str]]:
    """(message id, customer message, agent reply) of auto-snoozed suggestions an agent answered."""
    last_id = 0
    while True:
        stmt = (
            select(AgentReply.id, Message.id, Message.body, AgentReply.text)
            .join(AIReply, AIReply.id == AgentReply.ai_reply_id)
            .join(Message, Message.id == AgentReply.message_id)
            .where(and_(AIReply.snoozed.is_(True), AgentReply.id > last_id))
            .where(_not_blocked(Message.id))
            .order_by(AgentReply.id)
            .limit(batch)
        )
        rows = list(session.execute(stmt))
        if not rows:
            return
        for _rid, mid, body, text in rows:
            yield int(mid), str(body), str(text)
        last_id = int(rows[-1][0])


def suggestion_outcomes(
    session: Session, provider: str
) -> list[tuple[int, float, str, bool | None]]:
    """(suggestion id, confidence, agent usage or '', current 'useful' rating or None).

    One row per suggestion of `provider` that an agent either answered after or rated.
    """
    usage = (
        select(AgentReply.ai_reply_id, func.max(AgentReply.usage).label("usage"))
        .where(AgentReply.ai_reply_id.is_not(None), AgentReply.usage != "none")
        .group_by(AgentReply.ai_reply_id)
        .subquery()
    )
    rating = (
        select(
            Feedback.ai_reply_id,
            func.avg(func.cast(Feedback.useful, Integer)).label("useful"),
        )
        .where(Feedback.is_current, Feedback.ai_reply_id.is_not(None))
        .group_by(Feedback.ai_reply_id)
        .subquery()
    )
    rows = session.execute(
        select(AIReply.id, AIReply.confidence, usage.c.usage, rating.c.useful)
        .outerjoin(usage, usage.c.ai_reply_id == AIReply.id)
        .outerjoin(rating, rating.c.ai_reply_id == AIReply.id)
        .where(AIReply.provider == provider)
        .where((usage.c.usage.is_not(None)) | (rating.c.useful.is_not(None)))
        .order_by(AIReply.id)
    )
    return [
        (int(i), float(c), str(u or ""), None if r is None else float(r) >= 0.5)
        for i, c, u, r in rows
    ]


def unfinished_fine_tune_job(session: Session, finished: Collection[str]) -> FineTuneJob | None:
    """The newest fine-tuning job the provider accepted (it has the provider's id) that has not
    reached one of the `finished` statuses."""
    return session.scalar(
        select(FineTuneJob)
        .where(FineTuneJob.provider_job_id.is_not(None), FineTuneJob.status.not_in(finished))
        .order_by(FineTuneJob.id.desc())
        .limit(1)
    )


def latest_explanation(session: Session, ai_reply_id: int) -> AIReplyExplanation | None:
    return session.scalar(
        select(AIReplyExplanation)
        .where(AIReplyExplanation.ai_reply_id == ai_reply_id)
        .order_by(AIReplyExplanation.id.desc())
        .limit(1)
    )
