"""Calibrating suggestion confidence on a team's imported history, before any rating.

An imported history with the agents' replies says what a good suggestion would have been. The
replay splits its conversations into folds by a stable hash; each fold's messages get a
suggestion from a memory holding the other folds only (as the engine would have answered them
without having seen that conversation), and a suggestion counts as accepted when it is close to
the reply the agent actually sent (MiniLM cosine >= ACCEPT_AT). A calibration curve
(calibration.py) fitted on those outcomes maps the engine's confidence to the acceptance rate
the replay saw; ratings then refine it like any other outcomes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from smartinbox.ai.calibration import Calibration, enough_outcomes, fit_calibration
from smartinbox.ai.engine import CachedVector, HistoryTurn, MessageInput, suggest_many

# A suggestion this close to the agent's real reply counts as one the agent would have sent.
ACCEPT_AT = 0.5
FOLDS = 3
BATCH = 64


@dataclass(frozen=True)
class ReplayPair:
    conversation: str  # pairs of one conversation stay in one fold
    message: str
    reply: str
    history: tuple[HistoryTurn, ...] = ()


@dataclass
class ReplayOutcomes:
    confidence: list[float]
    accepted: list[int]
    similarity: list[float]


def fold_of(conversation: str, folds: int) -> int:
    return int(hashlib.sha256(conversation.encode("utf-8")).hexdigest()[:8], 16) % folds


class _Vectors:
    """An in-process vector cache, so that each message is embedded once across the folds."""

    def __init__(self) -> None:
        self.rows: dict[str, CachedVector] = {}

    def load(self, fingerprint: str, keys: Sequence[str]) -> dict[str, CachedVector]:
        return {k: self.rows[k] for k in keys if k in self.rows}

    def store(self, fingerprint: str, rows: dict[str, CachedVector]) -> None:
        self.rows.update(rows)


def replay(
    engine: Any,
    pairs: Sequence[ReplayPair],
    folds: int = FOLDS,
    limit: int | None = None,
    accept_at: float = ACCEPT_AT,
) -> ReplayOutcomes:
    """Each pair's suggestion from a memory of the other folds, and whether it matched.

    A suggestion counts as accepted at similarity >= `accept_at` to the agent's reply. With
    `limit`, only that many pairs (about as many from each fold) are suggested for; every
    pair still serves in the other folds' memories. `engine` is a LocalEngine; its memory,
    calibration and vector cache are restored afterwards.
    """
    from smartinbox.ai.embedder import DIMENSIONS
    from smartinbox.ai.engine import MemoryItem
    from smartinbox.ai.memory import ReplyMemory

    if folds < 2:
        raise ValueError("folds must be at least 2")
    saved = engine.memory, engine.calibration, engine.vector_cache, engine.fingerprint
    fold = [fold_of(p.conversation, folds) for p in pairs]
    out = ReplayOutcomes([], [], [])
    order: list[int] = []
    try:
        engine.calibration = None
        engine.fingerprint = engine.fingerprint or "replay"
        engine.vector_cache = _Vectors()
        for f in range(folds):
            held = [i for i in range(len(pairs)) if fold[i] == f]
            if limit is not None:
                held = held[: max(1, limit // folds)]
            if not held:
                continue
            engine.memory = ReplyMemory(DIMENSIONS)
            engine.remember([
                MemoryItem(p.message, p.reply, "history", p.conversation)
                for p, g in zip(pairs, fold, strict=True) if g != f
            ])  # fmt: skip
            messages = [MessageInput(pairs[i].message, history=pairs[i].history) for i in held]
            triages = engine.analyze(messages)
            suggestions = []
            for start in range(0, len(messages), BATCH):
                suggestions.extend(
                    suggest_many(
                        engine, messages[start : start + BATCH], triages[start : start + BATCH]
                    )
                )
            got = engine.embedder.embed([s.text for s in suggestions])
            real = engine.embedder.embed([pairs[i].reply for i in held])
            sims = np.sum(got * real, axis=1)
            out.confidence.extend(float(s.confidence) for s in suggestions)
            out.similarity.extend(float(x) for x in sims)
            out.accepted.extend(int(x >= accept_at) for x in sims)
            order.extend(held)
    finally:
        engine.memory, engine.calibration, engine.vector_cache, engine.fingerprint = saved
    # Back in the pairs' order.
    idx = sorted(range(len(order)), key=lambda n: order[n])
    return ReplayOutcomes(
        [out.confidence[n] for n in idx],
        [out.accepted[n] for n in idx],
        [out.similarity[n] for n in idx],
    )


def fit_from_replay(outcomes: ReplayOutcomes) -> Calibration | None:
    """The calibration curve the replay supports, or None when it saw too few of either kind."""
    if not enough_outcomes(outcomes.accepted):
        return None
    return fit_calibration(outcomes.confidence, outcomes.accepted)


def snooze_threshold_for_precision(
    confidence: Sequence[float], accepted: Sequence[int], target: float, min_kept: int = 20
) -> dict[str, Any]:
    """The lowest confidence threshold at which the suggestions kept (confidence >= it) were
    accepted at least `target` of the time, with what it keeps; None when no threshold with at
    least `min_kept` suggestions reaches the target."""
    pairs = sorted(zip(confidence, accepted, strict=True), key=lambda p: -p[0])
    best: dict[str, Any] = {"threshold": None, "target_precision": target}
    hits = 0
    for n, (c, a) in enumerate(pairs, start=1):
        hits += int(a)
        last_of_tie = n == len(pairs) or pairs[n][0] != c
        if n >= min_kept and last_of_tie and hits / n >= target:
            best = {
                "threshold": round(float(c), 4),
                "target_precision": target,
                "precision": round(hits / n, 4),
                "kept_share": round(n / len(pairs), 4),
                "kept": n,
            }
    return best
