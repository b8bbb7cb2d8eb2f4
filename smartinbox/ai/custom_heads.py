"""A team's own taxonomy: a triage head trained on the team's labelled history.

`smartinbox train triage --field topic` replaces the shipped topic head with one that predicts
the team's labels. It reads the same features as the shipped heads (TF-IDF n-grams fitted on the
team's own texts, MiniLM vectors and style cues), so a team's vocabulary ("Shopify sync",
"VAT invoice") counts as much as meaning does. Its files sit beside the shipped models and are
listed in the manifest like every other file, so they are checksummed and versioned with them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from smartinbox.ai.artifacts import gzip_json_bytes, load_gzip_json, load_npz, npz_bytes
from smartinbox.ai.embedder import FEATURE_OUTPUTS, FloatMatrix
from smartinbox.ai.features import TfidfFeaturizer, assemble, style_matrix
from smartinbox.ai.heads import LinearHead

log = logging.getLogger(__name__)

# Fields a team may bring its own labels for: the categorical triage answers. Urgency,
# sentiment and spam are scores whose meaning does not depend on a team's vocabulary.
CUSTOM_FIELDS = ("topic", "kind")
VARIANT = "combined"
REGULARISATION_C = 4.0
# An agent's correction is a deliberate, checked label; it outweighs a row of imported history.
CORRECTION_WEIGHT = 3.0
MIN_ROWS_PER_LABEL = 2
# The inbox stores a topic in 64 characters and a kind in 32.
MAX_LABEL_CHARS = {"topic": 64, "kind": 32}


class CustomHeadError(ValueError):
    """The labelled data cannot train a head (too few rows or labels)."""


@dataclass
class CustomHead:
    field: str
    featurizer: TfidfFeaturizer
    head: LinearHead
    rows: int
    features: list[str] = dataclasses.field(default_factory=lambda: list(FEATURE_OUTPUTS))
    # The team's label for "not something we handle", and the confidence below which any
    # answer counts as that (chosen on validation rows): live triage marks such a message out
    # of scope instead of filing it under a topic.
    oos_label: str | None = None
    oos_threshold: float = 0.0

    def out_of_scope(self, label: str, confidence: float) -> bool:
        return self.oos_label is not None and (
            label == self.oos_label or confidence < self.oos_threshold
        )

    @property
    def classes(self) -> list[str]:
        return self.head.classes

    def proba(self, texts: Sequence[str], embeddings: FloatMatrix) -> FloatMatrix:
        matrix = assemble(
            VARIANT, self.featurizer.transform(texts), embeddings, style_matrix(texts)
        )
        return self.head.proba(matrix)

    def predict(
        self, texts: Sequence[str], embeddings: FloatMatrix
    ) -> tuple[list[str], list[float]]:
        proba = self.proba(texts, embeddings)
        best = proba.argmax(axis=1)
        labels = [self.classes[i] for i in best]
        return labels, [float(proba[n, i]) for n, i in enumerate(best)]

    def files(self) -> dict[str, bytes]:
        vocab, idf = self.featurizer.state()
        meta = {
            "field": self.field,
            "classes": self.classes,
            "vocab": vocab,
            "rows": self.rows,
            "features": self.features,
            "oos_label": self.oos_label,
            "oos_threshold": self.oos_threshold,
        }
        arrays = {**idf, "coef": self.head.coef, "intercept": self.head.intercept}
        return {
            f"custom_{self.field}.json.gz": gzip_json_bytes(meta),
            f"custom_{self.field}.npz": npz_bytes(arrays),
        }

    @classmethod
    def from_files(cls, field: str, files: dict[str, bytes]) -> CustomHead:
        meta = load_gzip_json(files[f"custom_{field}.json.gz"])
        arrays = load_npz(files[f"custom_{field}.npz"])
        featurizer = TfidfFeaturizer.from_state(
            meta["vocab"], {"word_idf": arrays["word_idf"], "char_idf": arrays["char_idf"]}
        )
        head = LinearHead(
            name=field,
            variant=VARIANT,
            classes=[str(c) for c in meta["classes"]],
            coef=arrays["coef"],
            intercept=arrays["intercept"],
        )
        return cls(
            field=field,
            featurizer=featurizer,
            head=head,
            rows=int(meta["rows"]),
            features=[str(name) for name in meta.get("features", [])],
            oos_label=meta.get("oos_label"),
            oos_threshold=float(meta.get("oos_threshold") or 0.0),
        )


def load_custom_heads(files: dict[str, bytes]) -> dict[str, CustomHead]:
    heads = {}
    for field in CUSTOM_FIELDS:
        if f"custom_{field}.json.gz" not in files:
            continue
        head = CustomHead.from_files(field, files)
        if head.features != list(FEATURE_OUTPUTS):
            # Its weights read features this release no longer computes: the shipped head
            # answers until the team retrains (the labels are still in the inbox).
            log.warning(
                "the team's %s head was trained on other features; retrain it with "
                "`smartinbox train triage --field %s`",
                field,
                field,
            )
            continue
        heads[field] = head
    return heads


def usable_rows(labels: Sequence[str]) -> tuple[list[int], dict[str, int]]:
    """The rows whose label has at least `MIN_ROWS_PER_LABEL` rows, and the rarer labels with
    their row counts: a head cannot learn a label from one example, and real histories hold a
    few (a typo, a category used once). Callers train on the rows and report the labels."""
    counts = Counter(labels)
    scarce = {label: n for label, n in sorted(counts.items()) if n < MIN_ROWS_PER_LABEL}
    return [i for i, label in enumerate(labels) if label not in scarce], scarce


def train_on_usable_rows(
    field: str,
    texts: Sequence[str],
    labels: Sequence[str],
    embed: Callable[[list[str]], FloatMatrix],
    weights: Sequence[float] | None = None,
) -> tuple[CustomHead, dict[str, int]]:
    """Train on the rows `usable_rows` keeps (embedding only those with `embed`); (the head,
    the labels left out with their row counts)."""
    kept, scarce = usable_rows(labels)
    if len({labels[i] for i in kept}) < 2:
        rare = f"; too few rows for: {', '.join(list(scarce)[:10])}" if scarce else ""
        raise CustomHeadError(
            f"at least two labels with {MIN_ROWS_PER_LABEL} or more rows are needed{rare}"
        )
    chosen = [texts[i] for i in kept]
    head = train_custom_head(
        field,
        chosen,
        [labels[i] for i in kept],
        embed(chosen),
        None if weights is None else [weights[i] for i in kept],
    )
    return head, scarce


def train_custom_head(
    field: str,
    texts: Sequence[str],
    labels: Sequence[str],
    embeddings: FloatMatrix,
    weights: Sequence[float] | None = None,
    c: float = REGULARISATION_C,
) -> CustomHead:
    """Fit a head predicting `labels` from `texts` (whose MiniLM vectors are `embeddings`)."""
    from sklearn.linear_model import LogisticRegression

    if field not in CUSTOM_FIELDS:
        raise CustomHeadError(f"field must be one of {', '.join(CUSTOM_FIELDS)}, not {field!r}")
    if len(texts) != len(labels) or len(texts) != len(embeddings):
        raise CustomHeadError("one label and one vector per text are required")
    too_long = sorted({lbl for lbl in labels if len(lbl) > MAX_LABEL_CHARS[field]})
    if too_long:
        raise CustomHeadError(
            f"{field} labels may have at most {MAX_LABEL_CHARS[field]} characters: "
            + ", ".join(too_long[:5])
        )
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if len(counts) < 2:
        raise CustomHeadError("at least two different labels are needed to train a head")
    scarce = sorted(label for label, n in counts.items() if n < MIN_ROWS_PER_LABEL)
    if scarce:
        raise CustomHeadError(
            f"each label needs at least {MIN_ROWS_PER_LABEL} rows; too few for: "
            + ", ".join(scarce[:10])
        )
    featurizer = TfidfFeaturizer().fit(texts)
    matrix = assemble(VARIANT, featurizer.transform(texts), embeddings, style_matrix(texts))
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=0)
    sample_weight = np.asarray(weights, dtype=np.float64) if weights is not None else None
    model.fit(matrix, list(labels), sample_weight=sample_weight)
    coef = np.asarray(model.coef_, dtype=np.float32)
    intercept = np.asarray(model.intercept_, dtype=np.float32)
    head = LinearHead(
        name=field,
        variant=VARIANT,
        classes=[str(c) for c in model.classes_],
        coef=coef,
        intercept=intercept,
    )
    return CustomHead(field=field, featurizer=featurizer, head=head, rows=len(texts))


def describe(head: CustomHead) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": head.rows, "labels": head.classes}
    if head.oos_label is not None:
        out.update(oos_label=head.oos_label, oos_threshold=head.oos_threshold)
    return out
