"""Classification figures and calibration (ECE), checked on cases computed by hand."""

from __future__ import annotations

import pytest

from smartinbox.ai.calibration import enough_outcomes, fit_calibration
from smartinbox.ai.metrics import classification_report, reliability


def test_classification_report_by_hand() -> None:
    truth = ["billing", "billing", "billing", "shipping", "shipping", "oos"]
    predicted = ["billing", "billing", "shipping", "shipping", "oos", "oos"]
    report = classification_report(truth, predicted, oos_label="oos")
    assert report["accuracy"] == pytest.approx(4 / 6, abs=1e-4)
    # billing: P 2/2, R 2/3 -> F1 0.8; shipping: P 1/2, R 1/2 -> 0.5; oos: P 1/2, R 1 -> 2/3.
    assert report["labels"]["billing"] == {
        "precision": 1.0, "recall": 0.6667, "f1": 0.8, "support": 3,
    }  # fmt: skip
    assert report["labels"]["shipping"]["f1"] == 0.5
    assert report["labels"]["oos"]["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3, abs=1e-4)
    assert report["oos"] == {
        "label": "oos", "recall": 1.0, "precision": 0.5, "in_scope_accuracy": 0.6,
    }  # fmt: skip


def test_expected_calibration_error_by_hand() -> None:
    # Bin 0.9-1.0: confidences 0.95, 0.95, 0.95, 0.95, outcomes 1,1,1,0 -> accuracy 0.75, gap 0.2.
    # Bin 0.2-0.3: confidences 0.25, 0.25, outcomes 0,0 -> gap 0.25.
    # ECE = 4/6 * 0.2 + 2/6 * 0.25 = 0.21667.
    result = reliability([0.95, 0.95, 0.95, 0.95, 0.25, 0.25], [1, 1, 1, 0, 0, 0])
    assert result["ece"] == pytest.approx(0.2167, abs=1e-4)
    assert [b["bin"] for b in result["bins"]] == ["0.2-0.3", "0.9-1.0"]
    assert result["bins"][1] == {"bin": "0.9-1.0", "n": 4, "confidence": 0.95, "accuracy": 0.75}
    assert reliability([0.0, 1.0], [0, 1])["ece"] == 0.0


def test_calibration_moves_confidence_to_the_observed_rate() -> None:
    # The prior says 0.9 but agents accept only half of these suggestions; 0.2 is right.
    confidence = [0.9] * 200 + [0.2] * 200
    accepted = [1, 0] * 100 + [1] * 40 + [0] * 160
    assert enough_outcomes(accepted)
    for method in ("isotonic", "platt"):
        curve = fit_calibration(confidence, accepted, method=method)
        assert curve.apply(0.9) == pytest.approx(0.5, abs=0.03)
        assert curve.apply(0.2) == pytest.approx(0.2, abs=0.03)
        calibrated = [curve.apply(c) for c in confidence]
        assert reliability(calibrated, accepted)["ece"] < reliability(confidence, accepted)["ece"]
    assert not enough_outcomes([1] * 100 + [0] * 5)
