"""Triage heads: one linear model per triage field, over a chosen feature variant.

Heads are stored as plain arrays (coefficients, intercepts, class names) rather than pickled
estimators: loading a model file can then never run code, and a file written by one
scikit-learn release loads under the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import sparse

from smartinbox.ai.corpus import Row

FloatMatrix = npt.NDArray[np.float32]
Features: TypeAlias = sparse.csr_matrix | FloatMatrix

# Urgency and sentiment are learned as ordered bands; the reported value is the expected value
# over the bands (each band stands for the mean label of its training rows). This gives a
# probability per band, hence a confidence, which a plain regressor would not.
URGENCY_EDGES = (0.4, 0.7)
SENTIMENT_EDGES = (-0.25, 0.25)
BINNED_HEADS = {"urgency": URGENCY_EDGES, "sentiment": SENTIMENT_EDGES}
BINARY_HEADS = ("spam", "out_of_scope", "gibberish")
REGULARISATION_C = 4.0
# Hand-written rows are the only ones written like real inbox mail; they count a little more.
HANDWRITTEN_WEIGHT = 3.0


def band(value: float, edges: tuple[float, float]) -> str:
    if value < edges[0]:
        return "low"
    return "mid" if value < edges[1] else "high"


def label_of(head: str, row: Row) -> str:
    if head in BINNED_HEADS:
        return band(float(getattr(row, head)), BINNED_HEADS[head])
    if head in BINARY_HEADS:
        return str(int(getattr(row, head)))
    return str(getattr(row, head))


def target_value(head: str, row: Row) -> float:
    return float(getattr(row, head))


@dataclass
class LinearHead:
    name: str
    variant: str
    classes: list[str]
    coef: FloatMatrix
    intercept: FloatMatrix
    centres: dict[str, float] = field(default_factory=dict)

    def proba(self, features: Features) -> FloatMatrix:
        scores: npt.NDArray[np.float64] = (
            np.asarray(features @ self.coef.T, dtype=np.float64) + self.intercept
        )
        if len(self.classes) == 2:
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.asarray(np.stack([1.0 - positive, positive], axis=1), dtype=np.float32)
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float32)

    def expected_value(self, proba: FloatMatrix) -> FloatMatrix:
        weights = np.array([self.centres[c] for c in self.classes], dtype=np.float32)
        return np.asarray(proba @ weights, dtype=np.float32)

    def positive(self, proba: FloatMatrix) -> FloatMatrix:
        return proba[:, self.classes.index("1")]

    def describe(self) -> dict[str, Any]:
        return {"variant": self.variant, "classes": self.classes, "centres": self.centres}


def fit_head(
    name: str, variant: str, features: Features, rows: Sequence[Row], seed: int = 0
) -> LinearHead:
    from sklearn.linear_model import LogisticRegression

    labels = [label_of(name, row) for row in rows]
    weights = np.array([HANDWRITTEN_WEIGHT if r.source == "handwritten" else 1.0 for r in rows])
    model = LogisticRegression(
        C=REGULARISATION_C, max_iter=3000, class_weight="balanced", random_state=seed
    )
    model.fit(features, labels, sample_weight=weights)
    centres: dict[str, float] = {}
    if name in BINNED_HEADS:
        for cls in model.classes_:
            values = [target_value(name, r) for r, y in zip(rows, labels, strict=True) if y == cls]
            centres[str(cls)] = round(float(np.mean(values)), 4)
    return LinearHead(
        name=name,
        variant=variant,
        classes=[str(c) for c in model.classes_],
        coef=np.asarray(model.coef_, dtype=np.float32),
        intercept=np.asarray(model.intercept_, dtype=np.float32),
        centres=centres,
    )


def heads_to_arrays(heads: dict[str, LinearHead]) -> dict[str, FloatMatrix]:
    arrays: dict[str, FloatMatrix] = {}
    for name, head in heads.items():
        arrays[f"{name}.coef"] = head.coef
        arrays[f"{name}.intercept"] = head.intercept
    return arrays


def heads_from_arrays(
    described: dict[str, dict[str, Any]], arrays: dict[str, FloatMatrix]
) -> dict[str, LinearHead]:
    return {
        name: LinearHead(
            name=name,
            variant=str(info["variant"]),
            classes=[str(c) for c in info["classes"]],
            coef=arrays[f"{name}.coef"],
            intercept=arrays[f"{name}.intercept"],
            centres={str(k): float(v) for k, v in info.get("centres", {}).items()},
        )
        for name, info in described.items()
    }
