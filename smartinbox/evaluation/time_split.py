"""Which interactions a candidate may be graded on: only ones newer than its training data.

A candidate retrained by `smartinbox retrain` records when its training data was read
(`settings.data.created_at`): interactions from before then are its training data, not a test.
Whatever its origin, a local version's reply memory lists the customer messages it learned
from; an interaction whose message is one of them (case, width, punctuation and spacing
folded away) is in its training data too. Replays in the training data are left out of a run
(the time split); queries given by hand are refused, unless the caller allows the overlap, in
which case the run is marked and the promotion gate refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from smartinbox.feedback.local_retrain import read_memory
from smartinbox.feedback.training import canonical
from smartinbox.kit.errors import ValidationFailed
from smartinbox.kit.timeutil import as_utc, parse_datetime
from smartinbox.models import AssistantVersion, FeedbackReplayLog

if TYPE_CHECKING:
    from smartinbox.evaluation.stress import Interaction


def trained_until(candidate: AssistantVersion) -> datetime | None:
    """When the candidate's training data was read, when it was recorded."""
    value = (candidate.settings or {}).get("data", {}).get("created_at")
    return parse_datetime(value) if isinstance(value, str) and value else None


def training_messages(candidate: AssistantVersion) -> set[str]:
    """The customer messages the candidate's reply memory learned from, folded."""
    path = (candidate.artifacts or {}).get("reply_memory")
    if not path or not Path(path).exists():
        return set()
    return {canonical(item.message) for item in read_memory(Path(path))}


@dataclass
class Split:
    keep: list[Interaction]
    record: dict[str, Any] = field(default_factory=dict)


def split(
    session: Session,
    candidate: AssistantVersion,
    interactions: Sequence[Interaction],
    *,
    drop_overlap: bool,
    allow_overlap: bool,
) -> Split:
    """Keep the interactions newer than the candidate's training data.

    `drop_overlap`: leave older ones out (replays); otherwise refuse them, unless
    `allow_overlap`, which keeps them and marks the run.
    """
    until = trained_until(candidate)
    seen = training_messages(candidate)
    created = _replay_times(session, interactions)
    overlapping = []
    for item in interactions:
        when = created.get(item.key)
        old = until is not None and when is not None and as_utc(when) <= until
        if old or canonical(item.message) in seen:
            overlapping.append(item)
    overlap_keys = {i.key for i in overlapping}
    record: dict[str, Any] = {
        "candidate": candidate.version_tag,
        "trained_until": until.isoformat() if until else None,
        "training_messages": len(seen),
        "checked": len(interactions),
        "excluded": 0,
        "overlap": 0,
        "allow_overlap": allow_overlap,
    }
    if not overlapping:
        return Split(list(interactions), record)
    if allow_overlap:
        record["overlap"] = len(overlapping)
        return Split(list(interactions), record)
    if drop_overlap:
        record["excluded"] = len(overlapping)
        keep = [i for i in interactions if i.key not in overlap_keys]
        if not keep:
            raise ValidationFailed(
                f"all {len(interactions)} interactions are in {candidate.version_tag}'s training "
                "data; a stress test needs interactions newer than it",
                field="candidate",
            )
        return Split(keep, record)
    raise ValidationFailed(
        f"{len(overlapping)} of {len(interactions)} queries are in {candidate.version_tag}'s "
        "training data (e.g. " + repr(overlapping[0].message[:80]) + "); grading a candidate on "
        "them says nothing. Use newer queries, or allow the overlap to run a marked test the "
        "promotion gate will not accept",
        field="queries",
    )


def _replay_times(session: Session, interactions: Sequence[Interaction]) -> dict[str, datetime]:
    ids = {
        int(i.key.split(":", 1)[1]): i.key
        for i in interactions
        if i.key.startswith("replay:") and i.key.split(":", 1)[1].isdigit()
    }
    out = {}
    for replay_id, key in ids.items():
        row = session.get(FeedbackReplayLog, replay_id)
        if row is not None:
            out[key] = row.created_at
    return out
