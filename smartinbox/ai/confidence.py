"""How likely an agent is to accept a suggested reply, from the shape of the retrieval.

Three signals, mapped through a logistic function: how close the best stored message is
(similarity), how far ahead of the runner-up it is (margin), and whether the other close
neighbours were answered on the same topic (agreement). The weights are fitted at training
time on held-out support requests, with "the retrieved reply answers the same intent" standing
in for "an agent accepted it"; real accept/reject ratings can replace that proxy later.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from smartinbox.ai.memory import Neighbour

FEATURE_NAMES = ("similarity", "margin", "agreement")


def retrieval_features(chosen: Neighbour, neighbours: Sequence[Neighbour]) -> list[float]:
    others = [n for n in neighbours if n.position != chosen.position]
    runner_up = max((n.similarity for n in others), default=0.0)
    same_topic = [n.entry.topic == chosen.entry.topic for n in others]
    agreement = sum(same_topic) / len(same_topic) if same_topic else 0.0
    return [chosen.similarity, chosen.similarity - runner_up, agreement]


@dataclass(frozen=True)
class AcceptanceModel:
    weights: tuple[float, float, float]
    bias: float

    def probability(self, features: Sequence[float]) -> float:
        score = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-score))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(FEATURE_NAMES), "weights": list(self.weights), "bias": self.bias}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AcceptanceModel:
        w = [float(x) for x in data["weights"]]
        return cls(weights=(w[0], w[1], w[2]), bias=float(data["bias"]))


def fit_acceptance(
    features: npt.NDArray[np.float64], accepted: npt.NDArray[np.int_]
) -> AcceptanceModel:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=1000).fit(features, accepted)
    w = [float(x) for x in model.coef_[0]]
    return AcceptanceModel(weights=(w[0], w[1], w[2]), bias=float(model.intercept_[0]))
