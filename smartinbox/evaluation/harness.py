"""The simulated-failure harness: bad replies in, "generate improved reply" out, judged.

Reports correction quality (judge score before and after, share fixed, per failure kind),
performance (latency percentiles of the improvement step) and drift (how far the candidate's
triage and confidence moved from live's on the same messages); the run fails when the drift
exceeds `gate_max_drift`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from statistics import fmean
from typing import Any

from sqlalchemy.orm import Session

from smartinbox.ai.engine import Engine, MessageInput
from smartinbox.config import Settings
from smartinbox.evaluation.failures import Failure, Source, simulate
from smartinbox.evaluation.stats import percentiles, triage_drift
from smartinbox.feedback.analysis import Case, Reviewer
from smartinbox.feedback.reviewers import judge_for, reviewer_for
from smartinbox.models import FeedbackReplayLog

FIXED_SCORE = 0.6  # an improved reply at least this good, and better than before, is "fixed"


def sources(session: Session, limit: int) -> list[Source]:
    from sqlalchemy import select

    rows = session.execute(
        select(FeedbackReplayLog.message, FeedbackReplayLog.agent_reply, FeedbackReplayLog.topic)
        .where(FeedbackReplayLog.agent_reply.is_not(None))
        .order_by(FeedbackReplayLog.id.desc())
        .limit(limit)
    )
    return [Source(m, r, t) for m, r, t in rows if r and r.strip()]


def _observe(engine: Engine, messages: list[str]) -> list[dict[str, Any]]:
    inputs = [MessageInput(body=m) for m in messages]
    out = []
    for message, triage in zip(inputs, engine.analyze(inputs), strict=True):
        confidence = engine.suggest(message, triage).confidence
        out.append({"topic": triage.topic, "kind": triage.kind, "confidence": confidence})
    return out


def run(
    settings: Settings,
    failures: list[Failure],
    live: Engine,
    candidate: Engine,
    reviewer: Reviewer | None = None,
) -> dict[str, Any]:
    judge, reviewer = judge_for(settings), reviewer or reviewer_for(settings)
    pool = [(f.source.message, f.source.reference) for f in failures]
    kinds: dict[str, list[tuple[float, float, bool]]] = defaultdict(list)
    latencies: list[float] = []
    for f in failures:
        # The reviewer sees what production sees for an unrated bad reply: no agent
        # correction, only replies agents approved for other messages.
        accepted = [(m, r) for m, r in pool if m != f.source.message]
        case = Case(f.source.message, f.bad_reply, None, "no", f.source.topic, None, accepted)
        started = time.perf_counter()
        improved = reviewer.improve(case).text
        latencies.append((time.perf_counter() - started) * 1000)
        before = judge.evaluate(f.source.message, f.bad_reply, f.source.reference).score
        after = judge.evaluate(f.source.message, improved, f.source.reference).score
        kinds[f.kind].append((before, after, after > before and after >= FIXED_SCORE))
    messages = sorted({f.source.message for f in failures})
    drift = triage_drift(_observe(live, messages), _observe(candidate, messages))
    rows = [r for group in kinds.values() for r in group]
    return {
        "cases": len(rows),
        "score_before_mean": round(fmean(r[0] for r in rows), 4) if rows else 0.0,
        "score_after_mean": round(fmean(r[1] for r in rows), 4) if rows else 0.0,
        "share_fixed": round(sum(r[2] for r in rows) / len(rows), 4) if rows else 0.0,
        "by_kind": {
            kind: {
                "cases": len(g),
                "score_before_mean": round(fmean(r[0] for r in g), 4),
                "score_after_mean": round(fmean(r[1] for r in g), 4),
                "share_fixed": round(sum(r[2] for r in g) / len(g), 4),
            }
            for kind, g in sorted(kinds.items())
        },
        "latency_ms": percentiles(latencies),
        "drift": drift,
        "drift_threshold": settings.gate_max_drift,
        "passed": drift["max"] <= settings.gate_max_drift,
    }


def failures_from(session: Session, count: int, seed: int = 0) -> list[Failure]:
    return simulate(sources(session, max(count, 1)), count, seed)
