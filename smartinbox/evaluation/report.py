"""What a stress-test run found: win/tie/loss, scores with an interval, topics, latency, drift.

`summarize` works on the stored log rows only, so a summary can be recomputed at any time and
every figure traces back to rows of `ai_stress_test_log`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from statistics import fmean
from typing import Any

from sqlalchemy.orm import Session

from smartinbox.evaluation import repository as repo
from smartinbox.evaluation.stats import bootstrap_mean_ci, percentiles, triage_drift
from smartinbox.kit.errors import NotFound
from smartinbox.models import StressTestLog

OUTLIERS = 20


def _mean(values: Sequence[float]) -> float:
    return round(fmean(values), 4) if values else 0.0


def drift(rows: Sequence[StressTestLog]) -> dict[str, float]:
    """Drift of the candidate's triage and confidence from live's over the run's messages."""
    live = [r.judge_comments.get("triage", {}).get("live") or {} for r in rows]
    cand = [r.judge_comments.get("triage", {}).get("candidate") or {} for r in rows]
    return triage_drift(live, cand)


def summarize(rows: Sequence[StressTestLog], tie_margin: float) -> dict[str, Any]:
    diffs = [r.candidate_score - r.live_score for r in rows]
    wins = sum(1 for d in diffs if d > tie_margin)
    losses = sum(1 for d in diffs if d < -tie_margin)
    topics: dict[str, list[StressTestLog]] = defaultdict(list)
    for r in rows:
        topics[r.topic or "unknown"].append(r)
    per_topic = {
        topic: {
            "rows": len(group),
            "mean_score_live": _mean([r.live_score for r in group]),
            "mean_score_candidate": _mean([r.candidate_score for r in group]),
            "mean_diff": _mean([r.candidate_score - r.live_score for r in group]),
            "wins": sum(1 for r in group if r.candidate_score - r.live_score > tie_margin),
            "losses": sum(1 for r in group if r.live_score - r.candidate_score > tie_margin),
        }
        for topic, group in sorted(topics.items())
    }
    live_ms = [r.live_latency_ms for r in rows]
    cand_ms = [r.candidate_latency_ms for r in rows]
    return {
        "rows": len(rows),
        "wins": wins,
        "ties": len(rows) - wins - losses,
        "losses": losses,
        "mean_score_live": _mean([r.live_score for r in rows]),
        "mean_score_candidate": _mean([r.candidate_score for r in rows]),
        "mean_diff": _mean(diffs),
        "mean_diff_ci95": list(bootstrap_mean_ci(diffs)),
        "mean_score_candidate_ci95": list(bootstrap_mean_ci([r.candidate_score for r in rows])),
        "mean_score_live_ci95": list(bootstrap_mean_ci([r.live_score for r in rows])),
        "per_topic": per_topic,
        "latency_ms": {"live": percentiles(live_ms), "candidate": percentiles(cand_ms)},
        "p95_latency_ms": percentiles(cand_ms)["p95"],
        "drift": drift(rows),
    }


def _replay_id(interaction_key: str) -> int | None:
    """The replay row an interaction was taken from (`replay:<id>` keys), if any."""
    kind, _, rest = interaction_key.partition(":")
    return int(rest) if kind == "replay" and rest.isdigit() else None


def outliers(session: Session, run_id: int, limit: int = OUTLIERS) -> list[dict[str, Any]]:
    """The rows where the candidate did worst against live, largest regression first."""
    rows = sorted(repo.log_rows(session, run_id), key=lambda r: r.candidate_score - r.live_score)
    worst = [r for r in rows if r.candidate_score < r.live_score][:limit]
    replays = repo.replay_ids(session, {r.message_id for r in worst if r.message_id})
    out = []
    for r in worst:
        replay_id = _replay_id(r.interaction_key) or (
            replays.get(r.message_id) if r.message_id else None
        )
        out.append({
            "id": r.id, "message": r.message, "topic": r.topic, "message_id": r.message_id,
            "live_reply": r.live_reply, "candidate_reply": r.candidate_reply,
            "reference_reply": r.reference_reply, "live_score": r.live_score,
            "candidate_score": r.candidate_score,
            "regression": round(r.live_score - r.candidate_score, 4),
            "comments": r.judge_comments.get("candidate", []),
            "replay_id": replay_id,
            "replay_url": f"/replay/{replay_id}" if replay_id else None,
        })  # fmt: skip
    return out


def report(session: Session, run_id: int) -> dict[str, Any]:
    run = repo.get_run(session, run_id)
    if run is None:
        raise NotFound(f"stress-test run {run_id} does not exist", field="run_id")
    params = {k: v for k, v in run.params.items() if k != "interactions"}
    return {
        "run_id": run.id,
        "status": run.status,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "params": params,
        "planned": len(run.params.get("interactions", [])),
        "summary": run.summary,
        "outliers": outliers(session, run_id),
    }
