"""Calibrating the suggestion confidence on what agents actually did with suggestions.

The shipped acceptance model is fitted on a stand-in for acceptance (see confidence.py). Once a
team has enough real outcomes (a suggestion sent unchanged or edited counts as accepted,
replaced as not; a "useful" rating as accepted, "not useful" as not), a monotone mapping from
the prior confidence to the observed acceptance rate is fitted on them: isotonic regression
when there are many outcomes, a two-parameter logistic (Platt) curve when there are fewer.
The mapping is stored as points and applied by linear interpolation, so it loads as plain JSON.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FILE = "calibration.json"
# Below this many outcomes of each kind the prior is kept: a curve fitted on a handful of
# decisions would move confidence more than it knows.
MIN_OUTCOMES_EACH = 20
ISOTONIC_FROM = 300
_PLATT_GRID = 101


@dataclass(frozen=True)
class Calibration:
    method: str  # isotonic | platt
    x: tuple[float, ...]
    y: tuple[float, ...]
    outcomes: int
    accepted: int

    def apply(self, confidence: float) -> float:
        return float(np.interp(confidence, self.x, self.y))

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "x": list(self.x),
            "y": list(self.y),
            "outcomes": self.outcomes,
            "accepted": self.accepted,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        return cls(
            method=str(data["method"]),
            x=tuple(float(v) for v in data["x"]),
            y=tuple(float(v) for v in data["y"]),
            outcomes=int(data["outcomes"]),
            accepted=int(data["accepted"]),
        )


def enough_outcomes(accepted: Sequence[int | bool]) -> bool:
    yes = sum(1 for a in accepted if a)
    return min(yes, len(accepted) - yes) >= MIN_OUTCOMES_EACH


def fit_calibration(
    confidence: Sequence[float], accepted: Sequence[int | bool], method: str | None = None
) -> Calibration:
    """Fit the mapping from prior confidence to acceptance; `method` forces one."""
    x = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    y = np.asarray(accepted, dtype=np.float64)
    if len(x) != len(y) or len(x) < 2 or y.min() == y.max():
        raise ValueError("calibration needs both accepted and rejected outcomes")
    chosen = method or ("isotonic" if len(x) >= ISOTONIC_FROM else "platt")
    if chosen == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)
        xs = [0.0, *[float(v) for v in iso.X_thresholds_], 1.0]
        ys = [float(iso.predict([0.0])[0]), *[float(v) for v in iso.y_thresholds_]]
        ys.append(float(iso.predict([1.0])[0]))
    elif chosen == "platt":
        from sklearn.linear_model import LogisticRegression

        logit = np.log(np.clip(x, 1e-4, 1 - 1e-4) / np.clip(1 - x, 1e-4, 1.0))
        lr = LogisticRegression(C=100.0).fit(logit.reshape(-1, 1), y)
        a, b = float(lr.coef_[0][0]), float(lr.intercept_[0])
        xs = [float(v) for v in np.linspace(0.0, 1.0, _PLATT_GRID)]
        ys = [_platt(v, a, b) for v in xs]
    else:
        raise ValueError(f"unknown calibration method {chosen!r}")
    return Calibration(
        method=chosen,
        x=tuple(round(v, 6) for v in xs),
        y=tuple(round(v, 6) for v in ys),
        outcomes=len(y),
        accepted=int(y.sum()),
    )


def _platt(p: float, a: float, b: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return 1.0 / (1.0 + math.exp(-(a * math.log(p / (1 - p)) + b)))
