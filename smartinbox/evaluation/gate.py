"""The promotion gate: a candidate goes live only when its stress test shows it is better.

Three conditions, each a setting: the candidate's mean judge score beats live by
`gate_min_margin`; no topic with at least `gate_min_topic_rows` rows loses more than
`gate_topic_tolerance`; and the drift (triage moved, or confidence fell) stays under
`gate_max_drift`. The run must have graded the candidate only on interactions newer than its
training data (time_split.py): a run without that record, or one marked as overlapping, is
refused. A refused candidate stays a candidate, with the reasons recorded on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.evaluation import repository as repo
from smartinbox.evaluation import stress
from smartinbox.kit.errors import Conflict, ValidationFailed
from smartinbox.kit.timeutil import utcnow
from smartinbox.versions import service as versions


@dataclass
class GateResult:
    candidate: str
    live: str
    promoted: bool
    reasons: list[str] = field(default_factory=list)
    run_id: int | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check(summary: dict[str, Any], settings: Settings) -> list[str]:
    """Why a run's candidate must not go live; empty when it may."""
    reasons = []
    if not summary.get("rows"):
        return ["the stress test replayed no interactions"]
    split = summary.get("time_split")
    if not split:
        return ["the stress test records no time split against the candidate's training data"]
    if split.get("overlap"):
        return [
            f"the stress test graded the candidate on {split['overlap']} interactions from its "
            "own training data (run with --allow-overlap); only a test on newer ones counts"
        ]
    diff = float(summary["mean_diff"])
    if diff < settings.gate_min_margin:
        reasons.append(
            f"mean judge score {summary['mean_score_candidate']:.3f} vs live "
            f"{summary['mean_score_live']:.3f}: {diff:+.3f}, needs at least "
            f"{settings.gate_min_margin:+.3f}"
        )
    for topic, t in summary.get("per_topic", {}).items():
        if (
            t["rows"] >= settings.gate_min_topic_rows
            and t["mean_diff"] < -settings.gate_topic_tolerance
        ):
            reasons.append(
                f"topic {topic!r} regresses by {-t['mean_diff']:.3f} over {t['rows']} rows "
                f"(tolerance {settings.gate_topic_tolerance:.3f})"
            )
    drift = summary.get("drift", {})
    if float(drift.get("max", 0.0)) > settings.gate_max_drift:
        reasons.append(
            f"drift {drift['max']:.3f} exceeds {settings.gate_max_drift:.3f} (topic "
            f"{drift.get('topic', 0):.3f}, kind {drift.get('kind', 0):.3f}, confidence "
            f"{drift.get('confidence', 0):+.3f})"
        )
    return reasons


def _run_for(
    settings: Settings, tag: str, progress: stress.Progress | None
) -> tuple[int, str, str]:
    """The newest finished stress test of this candidate against today's live, or a new one."""
    with session_scope(settings) as session:
        live, candidate = stress.resolve_versions(session, tag)
        if candidate.status != "candidate":
            raise Conflict(
                f"{tag} is {candidate.status}; only a candidate can be promoted", field="tag"
            )
        found = repo.latest_finished_run(session, live.id, candidate.id)
        split = found.params.get("time_split") if found is not None else None
        if found is not None and split and not split.get("overlap"):
            return found.id, live.version_tag, candidate.version_tag
        items = stress.from_replays(
            session, settings.stress_test_since_days, settings.stress_test_limit
        )
        if not items:
            return 0, live.version_tag, candidate.version_tag
        params = {"source": "replay", "since_days": settings.stress_test_since_days, "gate": True}
        try:
            run_id = stress.start(session, items, live, candidate, params).id
        except ValidationFailed:
            return 0, live.version_tag, candidate.version_tag  # nothing newer than its training
        live_tag, cand_tag = live.version_tag, candidate.version_tag
    stress.execute(settings, run_id, progress)
    return run_id, live_tag, cand_tag


def promote_if_better(
    settings: Settings, tag: str, progress: stress.Progress | None = None
) -> GateResult:
    """Stress-test the candidate if needed, check the gate, and promote it when it passes."""
    run_id, live_tag, cand_tag = _run_for(settings, tag, progress)
    with session_scope(settings) as session:
        summary = {}
        if run_id:
            run = repo.get_run(session, run_id)
            summary = dict(run.summary) if run is not None else {}
        reasons = (
            check(summary, settings)
            if run_id
            else [
                "no interactions rated 'no', newer than the candidate's training data, to "
                "stress-test with"
            ]
        )
        candidate = versions.get(session, cand_tag)
        candidate.settings = {**candidate.settings, "gate": {
            "checked_at": utcnow().isoformat(), "run_id": run_id or None, "live": live_tag,
            "passed": not reasons, "reasons": reasons}}  # fmt: skip
        if not reasons:
            versions.promote(session, cand_tag)
    return GateResult(cand_tag, live_tag, not reasons, reasons, run_id or None, summary)
