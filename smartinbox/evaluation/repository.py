"""All SQL of the evaluation domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartinbox.models import FeedbackReplayLog, StressTestLog, StressTestRun


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


def add_log(session: Session, row: StressTestLog) -> bool:
    """Insert one result; False when the run already has it (a resumed or racing run)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True
