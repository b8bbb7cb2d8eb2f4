"""Classification and calibration figures shared by `smartinbox eval` and the benchmarks.

Calibration is reported the usual way: predictions are grouped into equal-width confidence bins,
and the expected calibration error (ECE) is the average gap between each bin's mean confidence
and its observed accuracy, weighted by the bin's share of predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

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
    truth: Sequence[str], predicted: Sequence[str], score: Sequence[float], oos: str, t: float
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
    if oos not in truth or all(t == oos for t in truth):
        raise ThresholdError(
            f"choosing the out-of-scope threshold needs rows labelled {oos!r} and rows that are not"
        )
    best_t, best_score = 0.0, -1.0
    for t in grid if grid is not None else [step / 100 for step in range(96)]:
        balance = min(oos_balance(truth, predicted, confidence, oos, float(t)))
        if balance > best_score:
            best_t, best_score = float(t), balance
    return best_t
