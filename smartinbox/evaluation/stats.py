"""Small statistics for comparing two versions: bootstrap intervals, percentiles, z-tests."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

BOOTSTRAP_SAMPLES = 2000


def bootstrap_mean_ci(
    values: Sequence[float], level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean; seeded so a report reads the same twice."""
    if not values:
        return (0.0, 0.0)
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(BOOTSTRAP_SAMPLES, len(data)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return (round(float(low), 4), round(float(high), 4))


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    p50, p95, p99 = np.percentile(np.asarray(values, dtype=float), [50, 95, 99])
    return {"p50": round(float(p50), 3), "p95": round(float(p95), 3), "p99": round(float(p99), 3)}


def two_proportion_p(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float | None:
    """Two-sided p-value of a two-proportion z-test; None when either side has no data."""
    if n_a == 0 or n_b == 0:
        return None
    pooled = (hits_a + hits_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return 1.0
    z = (hits_a / n_a - hits_b / n_b) / se
    return round(math.erfc(abs(z) / math.sqrt(2)), 6)


def total_variation(a: Sequence[str], b: Sequence[str]) -> float:
    """Half the L1 distance between two label distributions: 0 identical, 1 disjoint."""
    if not a or not b:
        return 0.0
    ca, cb = Counter(a), Counter(b)
    return round(sum(abs(ca[k] / len(a) - cb[k] / len(b)) for k in set(ca) | set(cb)) / 2, 4)


def triage_drift(
    live: Sequence[dict[str, Any]], cand: Sequence[dict[str, Any]]
) -> dict[str, float]:
    """How far the candidate's triage and confidence moved from live's on the same messages.

    Topic and kind: total variation distance. Confidence: signed change of the mean, because a
    candidate that knows more replies is rightly more confident; only a drop counts as drift.
    """
    topic = total_variation([t.get("topic", "") for t in live], [t.get("topic", "") for t in cand])
    kind = total_variation([t.get("kind", "") for t in live], [t.get("kind", "") for t in cand])
    conf_live = [float(t.get("confidence", 0.0)) for t in live]
    conf_cand = [float(t.get("confidence", 0.0)) for t in cand]
    shift = float(np.mean(conf_cand) - np.mean(conf_live)) if live and cand else 0.0
    confidence = round(shift, 4)
    return {"topic": topic, "kind": kind, "confidence": confidence,
            "max": max(topic, kind, -confidence)}  # fmt: skip
