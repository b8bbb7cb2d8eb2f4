"""Local retraining refits the team's triage heads on every label the database holds.

For each field a team may label (topic, kind, urgency, sentiment, spam) the labelled rows are
agents' corrections and, for topic and kind, the labels imported with the team's history
(`smartinbox import --topic-col/--kind-col`). A correction replaces the imported label of its
message and weighs `CORRECTION_WEIGHT` times an imported row, as in `smartinbox train triage`. A head is refitted only with at least
`retrain_min_labelled_rows` rows and two labels of `MIN_ROWS_PER_LABEL` rows or more; rarer
labels are left out (and listed). Otherwise the candidate keeps the live head for that field
and the report says why. The report, stored in the candidate's data record, lists the rows
used: counts by source and label, their date range and a hash of their content.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from smartinbox.config import Settings
from smartinbox.inbox.corrections import LabelledRows, labelled_rows
from smartinbox.kit.timeutil import utcnow

if TYPE_CHECKING:
    from smartinbox.ai.custom_heads import CustomHead
    from smartinbox.ai.embedder import FloatMatrix, MiniLMEmbedder

Progress = Callable[[str, float], None]
EMBED_CHUNK = 512


def refit(
    settings: Settings,
    session: Session,
    models_dir: Path,
    progress: Progress | None = None,
    embedder: MiniLMEmbedder | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Refit every field with enough labels into `models_dir`; (report per field, manifest or
    None when no head was refitted)."""
    from smartinbox.ai.custom_heads import (
        CORRECTION_WEIGHT,
        CUSTOM_FIELDS,
        CustomHeadError,
        describe,
        train_custom_head,
        usable_rows,
    )
    from smartinbox.ai.registry import shared_embedder

    report: dict[str, Any] = {}
    heads: dict[str, CustomHead] = {}
    trained_on: dict[str, tuple[FloatMatrix, list[str]]] = {}
    vectors = _Vectors(embedder or shared_embedder(), progress)
    for field in CUSTOM_FIELDS:
        rows = labelled_rows(session, field, settings.retrain_max_labelled_rows, CORRECTION_WEIGHT)
        counts = Counter(rows.labels)
        kept, scarce = usable_rows(rows.labels)
        entry = _record(rows, kept, counts, scarce)
        report[field] = entry
        reason = _not_enough(rows, kept, counts, settings.retrain_min_labelled_rows)
        if reason is None:
            texts = [rows.texts[i] for i in kept]
            kept_labels = [rows.labels[i] for i in kept]
            try:
                kept_vectors = vectors.of(texts, field)
                head = train_custom_head(
                    field, texts, kept_labels, kept_vectors, [rows.weights[i] for i in kept]
                )
            except CustomHeadError as exc:
                reason = str(exc)
            else:
                heads[field] = head
                trained_on[field] = (kept_vectors, kept_labels)
                entry.update(trained=True, head=describe(head))
        if reason is not None:
            entry.update(trained=False, reason=f"{reason}; the live {field} head is kept")
    if not heads:
        return report, None
    return report, _store(models_dir, heads, trained_on)


def _not_enough(
    rows: LabelledRows, kept: list[int], counts: Counter[str], minimum: int
) -> str | None:
    if not rows.texts:
        return "no labelled rows (no imported labels, no agents' corrections)"
    if len(kept) < minimum:
        return f"{len(kept)} usable labelled rows; retraining needs at least {minimum}"
    labels = {rows.labels[i] for i in kept}
    if len(labels) < 2:
        return "at least two labels with enough rows are needed"
    return None


def _record(
    rows: LabelledRows, kept: list[int], counts: Counter[str], scarce: dict[str, int]
) -> dict[str, Any]:
    digest = hashlib.sha256()
    for i in kept:
        digest.update(f"{rows.labels[i]}\t{rows.weights[i]}\t{rows.texts[i]}\n".encode())
    dates = [rows.dates[i] for i in kept]
    return {
        "rows": len(kept),
        "corrections": sum(1 for i in kept if i < rows.corrections),
        "imported": sum(1 for i in kept if i >= rows.corrections),
        "imported_available": rows.imported_available,
        "labels": {label: n for label, n in sorted(counts.items()) if label not in scarce},
        "labels_left_out": scarce,
        "date_from": min(dates).isoformat() if dates else None,
        "date_to": max(dates).isoformat() if dates else None,
        "content_sha256": digest.hexdigest(),
    }


class _Vectors:
    """MiniLM vectors of the labelled texts, each text embedded once for all fields."""

    def __init__(self, embedder: MiniLMEmbedder, progress: Progress | None) -> None:
        self.embedder = embedder
        self.progress = progress or (lambda _step, _fraction: None)
        self.known: dict[str, FloatMatrix] = {}

    def of(self, texts: Sequence[str], field: str) -> FloatMatrix:
        missing = list(dict.fromkeys(t for t in texts if t not in self.known))
        for start in range(0, len(missing), EMBED_CHUNK):
            chunk = missing[start : start + EMBED_CHUNK]
            for text, vector in zip(chunk, self.embedder.features(chunk), strict=True):
                self.known[text] = vector
            self.progress(f"embedding {field} labels", (start + len(chunk)) / len(missing))
        return np.stack([self.known[t] for t in texts])


def _store(
    models_dir: Path,
    heads: dict[str, CustomHead],
    trained_on: dict[str, tuple[FloatMatrix, list[str]]] | None = None,
) -> dict[str, Any]:
    """Store refitted heads; `trained_on` holds each head's training vectors and labels."""
    from smartinbox.ai.artifacts import read_manifest, update_model_dir
    from smartinbox.ai.custom_heads import (
        SCOPE_LEARNED,
        SCOPE_WITH_ANCHORS,
        ScopeModel,
        describe,
    )

    files: dict[str, bytes] = {}
    custom = dict(read_manifest(models_dir).get("custom_heads", {}))
    stamp = utcnow().isoformat(timespec="seconds")
    for field, head in heads.items():
        # The team's out-of-scope label (and its threshold) outlive a refit of its head.
        before = custom.get(field, {})
        if before.get("oos_label") in head.classes:
            threshold = float(before.get("oos_threshold") or 0.0)
            rows = (trained_on or {}).get(field)
            score = before.get("oos_score")
            if score in (SCOPE_WITH_ANCHORS, SCOPE_LEARNED) and rows is not None:
                # The threshold was chosen for the scope score: the new head reads it too,
                # against its own training messages, through the same learned model.
                head.set_scope(before["oos_label"], rows[0], rows[1], threshold)
                if score == SCOPE_LEARNED:
                    head.scope_model = ScopeModel.from_description(before.get("scope_model"))
            else:
                head.oos_label, head.oos_threshold = before["oos_label"], threshold
        files.update(head.files())
        custom[field] = {**describe(head), "trained_at": stamp, "source": "retrain"}
    return update_model_dir(models_dir, files, {"custom_heads": custom})
