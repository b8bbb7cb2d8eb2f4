"""The simulated-failure harness: bad replies in, "generate improved reply" out, judged.

Reports correction quality (judge score before and after, share fixed, per failure kind),
performance (latency percentiles of the improvement step) and drift (how far the candidate's
triage and confidence moved from live's on the same messages); the run fails when the drift
exceeds `gate_max_drift`.

A stored run (`harness_runs`) records the failures it will correct when it starts; each case
(bad reply, improved reply, both judge scores, latency) lands in `harness_cases` in chunks, so
an interrupted run is finished by running it again, and the report is rebuilt from the stored
cases whenever it is shown.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinbox.ai.engine import Engine, MessageInput, suggest_many
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.evaluation import repository as repo
from smartinbox.evaluation.failures import Failure, Source, simulate
from smartinbox.evaluation.stats import percentiles, triage_drift
from smartinbox.feedback.analysis import Case, Reviewer
from smartinbox.feedback.reviewers import ReplyJudge, judge_for, reviewer_for
from smartinbox.kit.errors import NotFound
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AssistantVersion, FeedbackReplayLog, HarnessCase, HarnessRun

FIXED_SCORE = 0.6  # an improved reply at least this good, and better than before, is "fixed"
CHUNK = 50  # cases written per transaction (the resume granularity)
Progress = Callable[[int, int], None]  # (cases done in this call, cases to do)


def sources(session: Session, limit: int) -> list[Source]:
    rows = session.execute(
        select(FeedbackReplayLog.message, FeedbackReplayLog.agent_reply, FeedbackReplayLog.topic)
        .where(FeedbackReplayLog.agent_reply.is_not(None))
        .order_by(FeedbackReplayLog.id.desc())
        .limit(limit)
    )
    return [Source(m, r, t) for m, r, t in rows if r and r.strip()]


def failures_from(session: Session, count: int, seed: int = 0) -> list[Failure]:
    return simulate(sources(session, max(count, 1)), count, seed)


@dataclass
class CaseResult:
    position: int
    failure: Failure
    improved: str
    model: str
    before: float
    after: float
    comments: dict[str, Any]
    latency_ms: float

    @property
    def fixed(self) -> bool:
        return self.after > self.before and self.after >= FIXED_SCORE


def correct(
    judge: ReplyJudge, reviewer: Reviewer, failures: Sequence[Failure], positions: Sequence[int]
) -> list[CaseResult]:
    """Run the failures at `positions` through the improvement step and judge both replies."""
    pool = [(f.source.message, f.source.reference) for f in failures]
    out = []
    for position in positions:
        f = failures[position]
        # The reviewer sees what production sees for an unrated bad reply: no agent
        # correction, only replies agents approved for other messages.
        accepted = [(m, r) for m, r in pool if m != f.source.message]
        case = Case(f.source.message, f.bad_reply, None, "no", f.source.topic, None, accepted)
        started = time.perf_counter()
        improvement = reviewer.improve(case)
        latency = (time.perf_counter() - started) * 1000
        before = judge.evaluate(f.source.message, f.bad_reply, f.source.reference)
        after = judge.evaluate(f.source.message, improvement.text, f.source.reference)
        comments = {"before": before.comments, "after": after.comments,
                    "basis": improvement.basis}  # fmt: skip
        out.append(CaseResult(position, f, improvement.text, improvement.model, before.score,
                              after.score, comments, round(latency, 3)))  # fmt: skip
    return out


def _observe(engine: Engine, messages: list[str]) -> list[dict[str, Any]]:
    inputs = [MessageInput(body=m) for m in messages]
    triages = engine.analyze(inputs)
    return [
        {"topic": t.topic, "kind": t.kind, "confidence": s.confidence}
        for t, s in zip(triages, suggest_many(engine, inputs, triages), strict=True)
    ]


def drift(live: Engine, candidate: Engine, failures: Sequence[Failure]) -> dict[str, float]:
    messages = sorted({f.source.message for f in failures})
    return triage_drift(_observe(live, messages), _observe(candidate, messages))


def summarize(
    cases: Sequence[tuple[str, float, float, bool, float]],
    drift: dict[str, float],
    settings: Settings,
) -> dict[str, Any]:
    """The report from (kind, score before, score after, fixed, latency ms) per case."""
    kinds: dict[str, list[tuple[str, float, float, bool, float]]] = defaultdict(list)
    for c in cases:
        kinds[c[0]].append(c)

    def figures(group: Sequence[tuple[str, float, float, bool, float]]) -> dict[str, Any]:
        return {
            "cases": len(group),
            "score_before_mean": round(fmean(c[1] for c in group), 4) if group else 0.0,
            "score_after_mean": round(fmean(c[2] for c in group), 4) if group else 0.0,
            "share_fixed": round(sum(c[3] for c in group) / len(group), 4) if group else 0.0,
        }

    return {
        **figures(cases),
        "by_kind": {kind: figures(g) for kind, g in sorted(kinds.items())},
        "latency_ms": percentiles([c[4] for c in cases]),
        "drift": drift,
        "drift_threshold": settings.gate_max_drift,
        "passed": drift["max"] <= settings.gate_max_drift,
    }


def run(
    settings: Settings,
    failures: list[Failure],
    live: Engine,
    candidate: Engine,
    reviewer: Reviewer | None = None,
) -> dict[str, Any]:
    """The report of one harness pass, computed in memory and not stored."""
    results = correct(
        judge_for(settings), reviewer or reviewer_for(settings), failures, range(len(failures))
    )
    cases = [(r.failure.kind, r.before, r.after, r.fixed, r.latency_ms) for r in results]
    return summarize(cases, drift(live, candidate, failures), settings)


# Stored runs ------------------------------------------------------------------------------


def start(
    session: Session,
    failures: Sequence[Failure],
    live: AssistantVersion,
    candidate: AssistantVersion,
    params: dict[str, Any],
) -> HarnessRun:
    run = HarnessRun(
        status="running",
        live_version_id=live.id,
        candidate_version_id=candidate.id,
        params={**params, "live": live.version_tag, "candidate": candidate.version_tag,
                "failures": [asdict(f) for f in failures]},
    )  # fmt: skip
    session.add(run)
    session.flush()
    return run


def _failure(data: dict[str, Any]) -> Failure:
    return Failure(data["kind"], Source(**data["source"]), data["bad_reply"])


def _case_row(run_id: int, r: CaseResult) -> dict[str, Any]:
    f = r.failure
    return dict(
        run_id=run_id, position=r.position, kind=f.kind, topic=f.source.topic,
        message=f.source.message, reference_reply=f.source.reference, bad_reply=f.bad_reply,
        improved_reply=r.improved, model=r.model[:128], score_before=r.before,
        score_after=r.after, fixed=r.fixed, comments=r.comments, latency_ms=r.latency_ms,
    )  # fmt: skip


def execute(
    settings: Settings,
    run_id: int,
    reviewer: Reviewer | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Correct the cases the run has not stored yet, then store and return its report."""
    from smartinbox.versions import repository as versions_repo
    from smartinbox.versions.engines import engine_for_version

    with session_scope(settings, write=False) as session:
        stored = repo.get_harness_run(session, run_id)
        if stored is None:
            raise NotFound(f"harness run {run_id} does not exist", field="run_id")
        failures = [_failure(f) for f in stored.params.get("failures", [])]
        done = repo.harness_positions(session, run_id)
        ids = (stored.live_version_id, stored.candidate_version_id)
        arts = {v.id: dict(v.artifacts) for v in versions_repo.all_versions(session)}
    judge, reviewer = judge_for(settings), reviewer or reviewer_for(settings)
    todo = [n for n in range(len(failures)) if n not in done]
    for start_at in range(0, len(todo), CHUNK):
        results = correct(judge, reviewer, failures, todo[start_at : start_at + CHUNK])
        with session_scope(settings) as session:
            repo.add_harness_cases(session, [_case_row(run_id, r) for r in results])
        if progress is not None:
            progress(len(results), len(todo))
    engines = [engine_for_version(settings, vid, arts.get(vid or 0, {})) for vid in ids]
    moved = drift(engines[0], engines[1], failures)
    with session_scope(settings) as session:
        stored = repo.get_harness_run(session, run_id)
        assert stored is not None
        cases = repo.harness_cases(session, run_id)
        summary = summarize(
            [(c.kind, c.score_before, c.score_after, c.fixed, c.latency_ms) for c in cases],
            moved,
            settings,
        )
        stored.report, stored.status, stored.finished_at = summary, "finished", utcnow()
        return {**summary, "run_id": run_id}


def _case_out(c: HarnessCase) -> dict[str, Any]:
    return {
        "position": c.position, "kind": c.kind, "topic": c.topic, "message": c.message,
        "reference_reply": c.reference_reply, "bad_reply": c.bad_reply,
        "improved_reply": c.improved_reply, "model": c.model, "score_before": c.score_before,
        "score_after": c.score_after, "fixed": c.fixed, "latency_ms": c.latency_ms,
        "comments": c.comments,
    }  # fmt: skip


def run_summary(r: HarnessRun) -> dict[str, Any]:
    """One line of the run list."""
    keys = ("cases", "score_before_mean", "score_after_mean", "share_fixed", "passed")
    return {
        "run_id": r.id,
        "status": r.status,
        "created_at": r.created_at.isoformat(),
        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
        "live": r.params.get("live"),
        "candidate": r.params.get("candidate"),
        "planned": len(r.params.get("failures", [])),
        **{k: r.report.get(k) for k in keys},
    }


def list_runs(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    return [run_summary(r) for r in repo.harness_runs(session, limit)]


def show(session: Session, run_id: int) -> dict[str, Any]:
    """A stored run: its parameters, report and every case with its improvement."""
    stored = repo.get_harness_run(session, run_id)
    if stored is None:
        raise NotFound(f"harness run {run_id} does not exist", field="run_id")
    params = {k: v for k, v in stored.params.items() if k != "failures"}
    return {
        **run_summary(stored),
        "params": params,
        "report": stored.report,
        "cases": [_case_out(c) for c in repo.harness_cases(session, run_id)],
    }
