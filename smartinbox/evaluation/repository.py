"""All SQL of the evaluation domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinbox.db import insert_ignoring_duplicates
from smartinbox.models import (
    AgentReply,
    AIReply,
    Feedback,
    FeedbackReplayLog,
    HarnessCase,
    HarnessRun,
    Message,
    StressTestLog,
    StressTestRun,
)


def rejected_interactions(
    session: Session, since: datetime, limit: int
) -> Sequence[FeedbackReplayLog]:
    """Interactions rated 'no' that have an AI reply, newest first (the seed's export)."""
    return session.scalars(
        select(FeedbackReplayLog)
        .where(
            FeedbackReplayLog.feedback == "no",
            FeedbackReplayLog.ai_reply != "",
            FeedbackReplayLog.created_at >= since,
        )
        .order_by(FeedbackReplayLog.created_at.desc(), FeedbackReplayLog.id.desc())
        .limit(limit)
    ).all()


def replay_ids(session: Session, message_ids: set[int]) -> dict[int, int]:
    """message id -> newest replay id, for links from a report to the replay view."""
    if not message_ids:
        return {}
    rows = session.execute(
        select(FeedbackReplayLog.message_id, FeedbackReplayLog.id)
        .where(FeedbackReplayLog.message_id.in_(message_ids))
        .order_by(FeedbackReplayLog.id)
    )
    return {mid: rid for mid, rid in rows if mid is not None}


def get_run(session: Session, run_id: int) -> StressTestRun | None:
    return session.get(StressTestRun, run_id)


def runs(session: Session, limit: int = 50) -> Sequence[StressTestRun]:
    return session.scalars(
        select(StressTestRun).order_by(StressTestRun.id.desc()).limit(limit)
    ).all()


def latest_finished_run(session: Session, live_id: int, candidate_id: int) -> StressTestRun | None:
    return session.scalar(
        select(StressTestRun)
        .where(
            StressTestRun.status == "finished",
            StressTestRun.live_version_id == live_id,
            StressTestRun.candidate_version_id == candidate_id,
        )
        .order_by(StressTestRun.id.desc())
        .limit(1)
    )


def done_keys(session: Session, run_id: int) -> set[str]:
    return set(
        session.scalars(select(StressTestLog.interaction_key).where(StressTestLog.run_id == run_id))
    )


def log_rows(session: Session, run_id: int) -> Sequence[StressTestLog]:
    return session.scalars(
        select(StressTestLog).where(StressTestLog.run_id == run_id).order_by(StressTestLog.id)
    ).all()


def add_logs(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a chunk of results in one statement; rows the run already has are left alone
    (a resumed run, or two processes on the same run)."""
    if rows:
        stmt = insert_ignoring_duplicates(session, StressTestLog, ["run_id", "interaction_key"])
        session.execute(stmt, list(rows))


def get_harness_run(session: Session, run_id: int) -> HarnessRun | None:
    return session.get(HarnessRun, run_id)


def harness_runs(session: Session, limit: int = 50) -> Sequence[HarnessRun]:
    return session.scalars(select(HarnessRun).order_by(HarnessRun.id.desc()).limit(limit)).all()


def harness_positions(session: Session, run_id: int) -> set[int]:
    return set(session.scalars(select(HarnessCase.position).where(HarnessCase.run_id == run_id)))


def harness_cases(session: Session, run_id: int) -> Sequence[HarnessCase]:
    return session.scalars(
        select(HarnessCase).where(HarnessCase.run_id == run_id).order_by(HarnessCase.position)
    ).all()


def add_harness_cases(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a chunk of cases; positions the run already has are left alone."""
    if rows:
        stmt = insert_ignoring_duplicates(session, HarnessCase, ["run_id", "position"])
        session.execute(stmt, list(rows))


def rated_suggestions(session: Session, limit: int | None = None) -> list[Any]:
    """(useful, score, AI reply, subject, body, body_format, message id) of every current
    rating of a suggestion, oldest first."""
    stmt = (
        select(Feedback.useful, Feedback.score, AIReply.text, Message.subject, Message.body,
               Message.body_format, Message.id)
        .join(AIReply, AIReply.id == Feedback.ai_reply_id)
        .join(Message, Message.id == Feedback.message_id)
        .where(Feedback.is_current.is_(True))
        .order_by(Feedback.id)
    )  # fmt: skip
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt))


def latest_agent_replies(session: Session, message_ids: set[int]) -> dict[int, str]:
    """The latest reply an agent sent to each of these messages."""
    replies = session.execute(
        select(AgentReply.message_id, AgentReply.text)
        .where(AgentReply.message_id.in_(message_ids))
        .order_by(AgentReply.id)
    )
    return {int(mid): str(text) for mid, text in replies}  # the latest wins
