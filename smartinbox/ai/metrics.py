"""Classification and calibration figures shared by `smartinbox eval` and the benchmarks.

Calibration is reported the usual way: predictions are grouped into equal-width confidence bins,
and the expected calibration error (ECE) is the average gap between each bin's mean confidence
and its observed accuracy, weighted by the bin's share of predictions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

CALIBRATION_BINS = 10


def _r(value: float) -> float:
    return round(float(value), 4)


def auc(scores: Sequence[float], labels: Sequence[bool | int]) -> float | None:
    """ROC AUC: the chance a positive scores above a negative (a tie counts half); None
    unless both classes are present."""
    from sklearn.metrics import roc_auc_score

    if len({bool(y) for y in labels}) < 2:
        return None
    return float(roc_auc_score([bool(y) for y in labels], list(scores)))


def reliability(
    confidence: Sequence[float], correct: Sequence[int | bool], bins: int = CALIBRATION_BINS
) -> dict[str, Any]:
    """Reliability table and expected calibration error of `confidence` against `correct`."""
    conf = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    hits = np.asarray(correct, dtype=np.float64)
    if len(conf) != len(hits):
        raise ValueError("one outcome per confidence is required")
    # Bin i holds (i/bins, (i+1)/bins]; a confidence of exactly 0 goes to the first bin.
    index = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    table = []
    ece = 0.0
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        if not n:
            continue
        mean_conf = float(conf[mask].mean())
        accuracy = float(hits[mask].mean())
        ece += n / len(conf) * abs(accuracy - mean_conf)
        table.append(
            {
                "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                "n": n,
                "confidence": _r(mean_conf),
                "accuracy": _r(accuracy),
            }
        )
    return {"ece": _r(ece), "bins": table, "n": len(conf)}


def classification_report(
    truth: Sequence[str],
    predicted: Sequence[str],
    confidence: Sequence[float] | None = None,
    oos_label: str | None = None,
) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-label precision/recall/F1; calibration when confidences given."""
    if len(truth) != len(predicted):
        raise ValueError("one prediction per true label is required")
    labels = sorted(set(truth) | set(predicted))
    per_label: dict[str, dict[str, float | int]] = {}
    f1s = []
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        n_pred = sum(1 for p in predicted if p == label)
        n_true = sum(1 for t in truth if t == label)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": _r(precision),
            "recall": _r(recall),
            "f1": _r(f1),
            "support": n_true,
        }
        # Labels that never occur in the truth are not part of the macro average.
        if n_true:
            f1s.append(f1)
    n = len(truth)
    correct = [int(t == p) for t, p in zip(truth, predicted, strict=True)]
    report: dict[str, Any] = {
        "n": n,
        "accuracy": _r(sum(correct) / n) if n else 0.0,
        "macro_f1": _r(sum(f1s) / len(f1s)) if f1s else 0.0,
        "labels": per_label,
    }
    if oos_label is not None:
        report["oos"] = _oos_figures(truth, predicted, oos_label)
    if confidence is not None:
        report["calibration"] = reliability(confidence, correct)
    return report


def _oos_figures(truth: Sequence[str], predicted: Sequence[str], oos: str) -> dict[str, Any]:
    oos_rows = [p == oos for t, p in zip(truth, predicted, strict=True) if t == oos]
    in_scope = [(t, p) for t, p in zip(truth, predicted, strict=True) if t != oos]
    flagged = [t == oos for t, p in zip(truth, predicted, strict=True) if p == oos]
    return {
        "label": oos,
        "recall": _r(sum(oos_rows) / len(oos_rows)) if oos_rows else None,
        "precision": _r(sum(flagged) / len(flagged)) if flagged else None,
        "in_scope_accuracy": _r(sum(t == p for t, p in in_scope) / len(in_scope))
        if in_scope
        else None,
    }


class ThresholdError(ValueError):
    """The rows cannot choose an out-of-scope threshold (none or all are out of scope)."""


def with_oos_threshold(
    predicted: Sequence[str], confidence: Sequence[float], oos: str, threshold: float
) -> list[str]:
    """Each answer less confident than `threshold` becomes the out-of-scope label."""
    return [oos if c < threshold else p for p, c in zip(predicted, confidence, strict=True)]


def oos_balance(
    truth: Sequence[str] | npt.NDArray[Any],
    predicted: Sequence[str] | npt.NDArray[Any],
    score: Sequence[float] | npt.NDArray[np.float64],
    oos: str,
    t: float,
) -> tuple[float, float]:
    """(OOS recall, in-scope accuracy) when an answer whose score is below `t`, or whose label
    is `oos`, counts as out of scope."""
    truth_a, pred = np.asarray(truth), np.asarray(predicted)
    is_oos = truth_a == oos
    flagged = (pred == oos) | (np.asarray(score, dtype=np.float64) < t)
    return float(flagged[is_oos].mean()), float(((pred == truth_a) & ~flagged)[~is_oos].mean())


def choose_oos_threshold(
    truth: Sequence[str],
    predicted: Sequence[str],
    confidence: Sequence[float],
    oos: str,
    grid: Sequence[float] | None = None,
) -> float:
    """The cut-off (of `grid`; by default confidences 0 to 0.95 in steps of 0.01) that
    maximises the smaller of OOS recall and in-scope accuracy on these rows: the balance
    point, with neither figure bought at the other's expense. The lowest such cut-off wins a
    tie."""
    cuts = _cut_offs(grid)
    balance = balance_curve(truth, predicted, confidence, oos, cuts)
    return cuts[int(np.argmax(balance))]


def choose_settled_threshold(
    truth: Sequence[str],
    predicted: Sequence[str],
    score: Sequence[float],
    oos: str,
    grid: Sequence[float] | None = None,
    bound_z: float = 1.0,
) -> float:
    """A cut-off that these rows cannot tell from the best one and that does not sit at the
    edge of the rows' evidence: each figure is replaced by its Wilson lower bound `bound_z`
    standard errors down (a recall measured on a hundred out-of-scope rows vouches for less
    than an accuracy measured on thousands), and of the cut-offs whose smaller bound is within
    one standard error (of a share measured on the out-of-scope rows) of the best, the middle
    one is taken. A few out-of-scope rows leave wide ranges of cut-offs with the same recall;
    the best balance then sits at the range's lowest end, the most hopeful guess about
    requests those rows do not show."""
    cuts = _cut_offs(grid)
    balance = np.asarray(balance_curve(truth, predicted, score, oos, cuts, bound_z))
    best = float(balance.max())
    n_oos = sum(t == oos for t in truth)
    tolerance = math.sqrt(max(best * (1.0 - best), 0.0) / n_oos)
    close = [cut for cut, b in zip(cuts, balance, strict=True) if b >= best - tolerance]
    return close[len(close) // 2]


def balance_curve(
    truth: Sequence[str],
    predicted: Sequence[str],
    score: Sequence[float],
    oos: str,
    cuts: Sequence[float],
    bound_z: float = 0.0,
) -> list[float]:
    """The smaller of OOS recall and in-scope accuracy at each cut-off of `cuts` (with
    `bound_z`, of their Wilson lower bounds that many standard errors down)."""
    if oos not in truth or all(t == oos for t in truth):
        raise ThresholdError(
            f"choosing the out-of-scope threshold needs rows labelled {oos!r} and rows that are not"
        )
    n_oos = sum(t == oos for t in truth)
    n_in = len(truth) - n_oos
    # Converted once: `oos_balance` takes arrays as they are.
    truth_a, predicted_a = np.asarray(truth), np.asarray(predicted)
    score_a = np.asarray(score, dtype=np.float64)
    out = []
    for cut in cuts:
        recall, accuracy = oos_balance(truth_a, predicted_a, score_a, oos, float(cut))
        if bound_z:
            recall = wilson_lower_bound(recall, n_oos, bound_z)
            accuracy = wilson_lower_bound(accuracy, n_in, bound_z)
        out.append(min(recall, accuracy))
    return out


def _cut_offs(grid: Sequence[float] | None) -> list[float]:
    return [float(t) for t in grid] if grid is not None else [step / 100 for step in range(96)]


def wilson_lower_bound(share: float, n: int, z: float) -> float:
    """The Wilson score interval's lower end for a share `share` of `n` rows, `z` standard
    errors down."""
    if n <= 0:
        return 0.0
    z2 = z * z
    centre = share + z2 / (2 * n)
    spread = z * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n))
    return (centre - spread) / (1 + z2 / n)
