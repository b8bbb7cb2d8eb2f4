"""Held-out measurement of the triage heads: the split, the feature matrices and the scores.

Training reports these figures in its manifest and the accuracy benchmark prints them for every
feature variant side by side, so both read from the same code and the same split.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from sklearn.model_selection import train_test_split

from smartinbox.ai.corpus import HEADS, Row
from smartinbox.ai.embedder import DIMENSIONS, FEATURE_DIMENSIONS, FloatMatrix, MiniLMEmbedder
from smartinbox.ai.features import TfidfFeaturizer, assemble, style_matrix
from smartinbox.ai.heads import BINARY_HEADS, BINNED_HEADS, LinearHead, fit_head, label_of

SEED = 0
HELD_OUT = 0.2
Progress = Callable[[str, float], None]


@dataclass
class PreparedCorpus:
    rows: list[Row]
    embeddings: FloatMatrix
    style: FloatMatrix
    train: list[int]
    test: list[int]

    @property
    def texts(self) -> list[str]:
        return [row.text for row in self.rows]

    @property
    def vectors(self) -> FloatMatrix:
        """The sentence vectors (the first block of each row's triage features)."""
        return self.embeddings[:, :DIMENSIONS]


def sample_rows(rows: Sequence[Row], per_stratum: int | None) -> list[Row]:
    """At most `per_stratum` rows of each source and kind (a quick, still stratified, subset)."""
    if per_stratum is None:
        return list(rows)
    rng = random.Random(SEED)
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.stratum, []).append(row)
    chosen: list[Row] = []
    for key in sorted(groups):
        group = groups[key]
        chosen.extend(rng.sample(group, min(per_stratum, len(group))))
    return chosen


def prepare(rows: list[Row], embedder: MiniLMEmbedder, progress: Progress | None) -> PreparedCorpus:
    indices = list(range(len(rows)))
    train, test = train_test_split(
        indices, test_size=HELD_OUT, random_state=SEED, stratify=[r.stratum for r in rows]
    )
    texts = [row.text for row in rows]
    embeddings = np.zeros((len(texts), FEATURE_DIMENSIONS), dtype=np.float32)
    step = 512
    for start in range(0, len(texts), step):
        embeddings[start : start + step] = embedder.features(texts[start : start + step])
        if progress:
            progress("embedding training messages", min(1.0, (start + step) / len(texts)))
    return PreparedCorpus(rows, embeddings, style_matrix(texts), sorted(train), sorted(test))


def head_rows(prepared: PreparedCorpus, head: str, indices: Sequence[int]) -> list[int]:
    return [i for i in indices if head in prepared.rows[i].heads]


def fit_heads(
    prepared: PreparedCorpus,
    indices: Sequence[int],
    variants: Mapping[str, str],
    progress: Progress | None = None,
) -> tuple[TfidfFeaturizer, dict[str, LinearHead]]:
    texts = prepared.texts
    featurizer = TfidfFeaturizer().fit([texts[i] for i in indices])
    tfidf = featurizer.transform(texts)
    heads: dict[str, LinearHead] = {}
    for n, head in enumerate(variants):
        rows_idx = head_rows(prepared, head, indices)
        matrix = assemble(variants[head], tfidf, prepared.embeddings, prepared.style)
        heads[head] = fit_head(
            head, variants[head], matrix[rows_idx], [prepared.rows[i] for i in rows_idx]
        )
        if progress:
            progress(f"training {head} head", (n + 1) / len(variants))
    return featurizer, heads


def score_heads(
    prepared: PreparedCorpus, featurizer: TfidfFeaturizer, heads: Mapping[str, LinearHead]
) -> dict[str, dict[str, Any]]:
    tfidf = featurizer.transform(prepared.texts)
    scores: dict[str, dict[str, Any]] = {}
    for name, head in heads.items():
        idx = head_rows(prepared, name, prepared.test)
        matrix = assemble(head.variant, tfidf, prepared.embeddings, prepared.style)[idx]
        proba = head.proba(matrix)
        scores[name] = _score(name, head, proba, [prepared.rows[i] for i in idx])
    return scores


def _score(name: str, head: LinearHead, proba: FloatMatrix, rows: list[Row]) -> dict[str, Any]:
    truth = [label_of(name, row) for row in rows]
    predicted = [head.classes[i] for i in proba.argmax(axis=1)]
    result: dict[str, Any] = {"n": len(rows), "accuracy": _r(accuracy_score(truth, predicted))}
    if name in BINARY_HEADS:
        for metric, fn in (
            ("f1", f1_score),
            ("precision", precision_score),
            ("recall", recall_score),
        ):
            result[metric] = _r(fn(truth, predicted, pos_label="1", zero_division=0))
    else:
        result["macro_f1"] = _r(f1_score(truth, predicted, average="macro", zero_division=0))
    if name in BINNED_HEADS:
        values = head.expected_value(proba)
        target = np.array([float(getattr(r, name)) for r in rows])
        error = np.abs(values - target)
        hand = np.array([r.source == "handwritten" for r in rows])
        result["mae"] = _r(error.mean())
        result["mae_handwritten"] = _r(error[hand].mean()) if hand.any() else None
    if name == "kind":
        hand_idx = [i for i, r in enumerate(rows) if r.source == "handwritten"]
        result["accuracy_handwritten"] = _r(
            accuracy_score([truth[i] for i in hand_idx], [predicted[i] for i in hand_idx])
        )
        result["f1_per_kind"] = {
            k: _r(f1_score(truth, predicted, labels=[k], average="macro", zero_division=0))
            for k in head.classes
        }
    return result


def _r(value: Any) -> float:
    return round(float(value), 4)


def all_heads_with(variant: str) -> dict[str, str]:
    return dict.fromkeys(HEADS, variant)
