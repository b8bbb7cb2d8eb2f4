"""Writing what a team trained on its own data into the live models folder.

Both the team's triage head and the calibration of the suggestion confidence are added to the
folder with `update_model_dir`: the folder is replaced as a whole with a new manifest and a new
version, so every engine sharing it reloads them, and a half-written file is never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smartinbox.ai.artifacts import json_bytes, read_manifest, update_model_dir
from smartinbox.ai.calibration import FILE as CALIBRATION_FILE
from smartinbox.ai.calibration import enough_outcomes, fit_calibration
from smartinbox.ai.custom_heads import CustomHeadError, describe, train_on_usable_rows
from smartinbox.ai.embedder import MiniLMEmbedder

REFUSED_LISTED = 50


def train_team_head(
    models_dir: Path,
    field: str,
    texts: Sequence[str],
    labels: Sequence[str],
    weights: Sequence[float] | None = None,
    embedder: MiniLMEmbedder | None = None,
    oos_label: str | None = None,
    val: Sequence[tuple[str, str]] | None = None,
    oos_threshold: float | None = None,
    row_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Train the `field` head on the team's labelled texts and store it; returns the manifest.

    Labels with too few rows to learn are left out and listed in the manifest entry. With
    `oos_label` (topic only) the team's "not ours" label marks a message out of scope; so does
    any answer whose scope score is below `oos_threshold` or, without one, below the threshold
    chosen on the training rows' out-of-fold scores and the `val` rows (custom_heads.py)."""
    from smartinbox.ai.registry import shared_embedder

    if oos_label is not None and field != "topic":
        raise CustomHeadError("an out-of-scope label is a topic: use it with --field topic")
    if (val or oos_threshold is not None) and oos_label is None:
        raise CustomHeadError(
            "an out-of-scope threshold (--oos-threshold, --val) needs --oos-label"
        )
    embedder = embedder or shared_embedder()
    trained = train_on_usable_rows(
        field,
        texts,
        labels,
        embedder.features,
        weights,
        oos_label=oos_label,
        oos_threshold=oos_threshold,
        val=val,
        row_names=row_names,
    )
    head = trained.head
    custom = dict(read_manifest(models_dir).get("custom_heads", {}))
    entry = {**describe(head), "labels_left_out": trained.left_out, "trained_at": _now()}
    if trained.refused:
        # Rows whose label could not be read, named (the first `REFUSED_LISTED`) and counted.
        entry["rows_refused"] = trained.refused[:REFUSED_LISTED]
        entry["rows_refused_count"] = len(trained.refused)
    if trained.scope:
        entry["oos_threshold_chosen"] = trained.scope
    custom[field] = entry
    return update_model_dir(models_dir, head.files(), {"custom_heads": custom})


def store_calibration(
    models_dir: Path, confidence: Sequence[float], accepted: Sequence[int | bool]
) -> dict[str, Any] | None:
    """Fit and store the calibration when the outcomes suffice; None keeps the shipped prior.

    The confidences are the ones the suggestions were shown with. When a calibration is
    already live they passed through it, so the new curve is composed with the old one: the
    stored mapping always starts from the engine's uncalibrated confidence.
    """
    if not enough_outcomes(accepted):
        return None
    from smartinbox.ai.artifacts import load_json, read_verified
    from smartinbox.ai.calibration import Calibration

    curve = fit_calibration(confidence, accepted)
    _, files = read_verified(models_dir)
    if CALIBRATION_FILE in files:
        old = Calibration.from_dict(load_json(files[CALIBRATION_FILE]))
        grid = sorted({*old.x, *(i / 100 for i in range(101))})
        curve = Calibration(
            method=f"{curve.method} after {old.method}",
            x=tuple(grid),
            y=tuple(round(curve.apply(old.apply(x)), 6) for x in grid),
            outcomes=curve.outcomes,
            accepted=curve.accepted,
        )
    summary = {"method": curve.method, "outcomes": curve.outcomes, "accepted": curve.accepted}
    return update_model_dir(
        models_dir,
        {CALIBRATION_FILE: json_bytes(curve.to_dict())},
        {"calibration": {**summary, "fitted_at": _now()}},
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
