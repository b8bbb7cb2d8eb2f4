"""A team's own taxonomy: a triage head trained on the team's labelled history.

`smartinbox train triage --field topic` replaces the shipped topic head with one that predicts
the team's labels. It reads the same features as the shipped heads (TF-IDF n-grams fitted on the
team's own texts, MiniLM vectors and style cues), so a team's vocabulary ("Shopify sync",
"VAT invoice") counts as much as meaning does. Its files sit beside the shipped models and are
listed in the manifest like every other file, so they are checksummed and versioned with them.

With an out-of-scope label (`--oos-label`) the head also decides what the team does not handle:
a message is out of scope when the head files it under that label, or when its *scope score*
is below a threshold. The score starts from the head's confidence and the cosine similarity of
the message's sentence vector to the nearest in-scope training message (the head's *anchors*):
a request unlike anything the team has labelled is doubtful however confidently the linear head
picks a topic for it. Unless the team gives the threshold, the training rows are scored by heads
fitted without them (`SCOPE_FOLDS` folds); with enough out-of-scope rows among them a small
logistic regression (`ScopeModel`) learns from those rows how to weigh the signals
(`SCOPE_SIGNALS`), otherwise the score is confidence times similarity. The threshold is chosen
on the out-of-fold scores together with any validation rows, balancing lower confidence bounds
of out-of-scope recall and in-scope accuracy: a team's history rarely holds enough out-of-scope
examples for one split, or one plain estimate of recall, to choose it.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from smartinbox.ai.artifacts import gzip_json_bytes, load_gzip_json, load_npz, npz_bytes
from smartinbox.ai.embedder import DIMENSIONS, FEATURE_OUTPUTS, FloatMatrix
from smartinbox.ai.features import TfidfFeaturizer, assemble, style_matrix
from smartinbox.ai.field_labels import FIELDS, SCORED_FIELDS, read_labels
from smartinbox.ai.field_labels import MAX_LABEL_CHARS as LABEL_CHARS
from smartinbox.ai.heads import LinearHead
from smartinbox.ai.metrics import choose_settled_threshold, oos_balance

log = logging.getLogger(__name__)

# Fields a team may bring its own labels for: every triage answer. Urgency, sentiment and spam
# labels are read into the engine's scale (field_labels.py); the head reports their expected value.
CUSTOM_FIELDS = FIELDS
VARIANT = "combined"
# What a team head reads, chosen per team by cross-validation on its training rows together with
# C: "combined" is TF-IDF n-grams, every MiniLM output and style cues; "sentence" the MiniLM
# sentence vector alone, which generalises better from a few examples per label.
INPUTS = ("combined", "sentence")
REGULARISATION_C = 4.0
# An agent's correction is a deliberate, checked label; it outweighs a row of imported history.
CORRECTION_WEIGHT = 3.0
MIN_ROWS_PER_LABEL = 2
# The inbox stores a label in 200 characters (migration 0010).
MAX_LABEL_CHARS = {name: LABEL_CHARS for name in FIELDS}
# The scope score's nearest-neighbour part reads at most this many in-scope training vectors
# (a seeded sample beyond it): 15 MB in the model folder, one matrix product per batch.
MAX_ANCHORS = 20_000
SCOPE_FOLDS = 5
# Scope scores are products of two numbers below one: a finer grid than confidences need.
SCOPE_GRID = tuple(step / 400 for step in range(381))
# The regularisation strength is chosen on each team's own rows: histories differ in size, in
# label count and in how much exact wording decides, and no one strength suits them all (on the
# same features CLINC150's 150 intents do best at 4, SMS spam at 16; docs/engine.md). The
# comparison is cross-validated on at most `SELECTION_MAX_ROWS` rows (a seeded sample keeping
# each label's share) to bound its cost; below `SELECTION_MIN_ROWS` the default is kept.
C_GRID = (1.0, 4.0, 16.0, 64.0)
SELECTION_FOLDS = 3
SELECTION_MAX_ROWS = 20_000
SELECTION_MIN_ROWS = 30
SCOPE_WITH_ANCHORS = "confidence x nearest in-scope similarity"
SCOPE_CONFIDENCE = "confidence"
SCOPE_LEARNED = "learned scope score (confidence, nearest in-scope similarity, label probability)"
# What the learned scope score reads of each message (`scope_signals`).
SCOPE_SIGNALS = (
    "confidence",
    "nearest_similarity",
    "oos_label_probability",
    "margin",
    "entropy",
    "log_confidence",
    "log_nearest_similarity",
)
# The learned score needs this many out-of-fold rows of the out-of-scope label and of in-scope
# rows answered right; with fewer, the product of confidence and similarity is the score.
SCOPE_MODEL_MIN_ROWS = 20
# The threshold balances lower confidence bounds (this many standard errors) of out-of-scope
# recall and in-scope accuracy, so the figure measured on a few out-of-scope rows does not
# decide alone (`choose_settled_threshold`).
SCOPE_BOUND_Z = 1.0


class CustomHeadError(ValueError):
    """The labelled data cannot train a head (too few rows or labels)."""


@dataclass(frozen=True)
class Regularisation:
    """The logistic regression's C and how it was chosen: `macro_f1` holds each candidate's
    mean held-out macro-F1 when they were compared."""

    c: float
    chosen_on: str
    macro_f1: dict[str, float] = dataclasses.field(default_factory=dict)
    # What the head reads (`INPUTS`), chosen with C.
    inputs: str = VARIANT

    def describe(self) -> dict[str, Any]:
        return {
            "c": self.c,
            "inputs": self.inputs,
            "chosen_on": self.chosen_on,
            "macro_f1_by_c": self.macro_f1,
        }

    @classmethod
    def from_description(cls, data: dict[str, Any] | None) -> Regularisation:
        if not data:
            # Heads stored before the choice was made per team used the default.
            return cls(REGULARISATION_C, "default")
        scores = {str(k): float(v) for k, v in (data.get("macro_f1_by_c") or {}).items()}
        inputs = str(data.get("inputs") or VARIANT)
        return cls(float(data["c"]), str(data.get("chosen_on", "")), scores, inputs)


@dataclass
class ScopeModel:
    """A logistic regression over `SCOPE_SIGNALS`: how likely a message is one the head
    answers right rather than one of the out-of-scope label, learnt from out-of-fold rows."""

    # Rounded to 6 decimals when fitted, so a stored model scores exactly as the fitted one.
    coef: list[float]
    intercept: float
    # Out-of-fold rows it was fitted on: the label's rows and in-scope rows answered right.
    rows: dict[str, int]

    def score(self, signals: FloatMatrix) -> npt.NDArray[np.float64]:
        logit = np.asarray(signals, dtype=np.float64) @ np.asarray(self.coef) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logit, -50.0, 50.0))))

    def describe(self) -> dict[str, Any]:
        return {
            "signals": list(SCOPE_SIGNALS),
            "coef": self.coef,
            "intercept": self.intercept,
            "rows": self.rows,
        }

    @classmethod
    def from_description(cls, data: dict[str, Any] | None) -> ScopeModel | None:
        """The stored model, or None when there is none or it reads other signals."""
        if not data or list(data.get("signals", [])) != list(SCOPE_SIGNALS):
            return None
        return cls(
            [float(c) for c in data["coef"]],
            float(data["intercept"]),
            {str(k): int(v) for k, v in dict(data.get("rows", {})).items()},
        )


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
    # Unit sentence vectors of in-scope training messages (None: the score is the confidence,
    # as heads stored before the scope score read it).
    anchors: FloatMatrix | None = None
    regularisation: Regularisation = dataclasses.field(
        default_factory=lambda: Regularisation(REGULARISATION_C, "default")
    )
    # The learned scope score (None: confidence x nearest similarity, see `scope`).
    scope_model: ScopeModel | None = None

    def out_of_scope(self, label: str, scope: float) -> bool:
        """Whether a message the head files under `label` with scope score `scope` (see
        `scope`) is out of scope."""
        return self.oos_label is not None and (
            label == self.oos_label or scope < self.oos_threshold
        )

    def scope(self, proba: FloatMatrix, embeddings: FloatMatrix) -> npt.NDArray[np.float64]:
        """The scope score of each row of `proba` (this head's probabilities for the texts
        whose MiniLM features are `embeddings`)."""
        confidence: npt.NDArray[np.float64] = np.asarray(proba, dtype=np.float64).max(axis=1)
        if self.anchors is None or not len(self.anchors):
            return confidence
        if self.scope_model is None:
            return np.asarray(confidence * nearest_similarity(embeddings, self.anchors))
        return self.scope_model.score(self.signals(proba, embeddings))

    def signals(self, proba: FloatMatrix, embeddings: FloatMatrix) -> FloatMatrix:
        """The `SCOPE_SIGNALS` of each row of `proba` (a head with anchors)."""
        assert self.anchors is not None
        oos = self.classes.index(self.oos_label) if self.oos_label in self.classes else None
        return scope_signals(proba, nearest_similarity(embeddings, self.anchors), oos)

    def set_scope(
        self, oos_label: str, embeddings: FloatMatrix, labels: Sequence[str], threshold: float
    ) -> None:
        self.oos_label = oos_label
        self.oos_threshold = threshold
        self.anchors = scope_anchors(embeddings, labels, oos_label)

    @property
    def classes(self) -> list[str]:
        return self.head.classes

    def proba(self, texts: Sequence[str], embeddings: FloatMatrix) -> FloatMatrix:
        return self.head.proba(
            _matrix(self.regularisation.inputs, self.featurizer, texts, embeddings)
        )

    def predict(
        self, texts: Sequence[str], embeddings: FloatMatrix
    ) -> tuple[list[str], list[float]]:
        return self._best(self.proba(texts, embeddings))

    def predict_scope(
        self, texts: Sequence[str], embeddings: FloatMatrix
    ) -> tuple[list[str], list[float], npt.NDArray[np.float64]]:
        """(labels, confidences, scope scores) of `texts`."""
        proba = self.proba(texts, embeddings)
        return (*self._best(proba), self.scope(proba, embeddings))

    def _best(self, proba: FloatMatrix) -> tuple[list[str], list[float]]:
        best = proba.argmax(axis=1)
        return [self.classes[i] for i in best], [float(proba[n, i]) for n, i in enumerate(best)]

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
            "regularisation": self.regularisation.describe(),
            "scope_model": self.scope_model.describe() if self.scope_model else None,
            "centres": self.head.centres,
        }
        arrays = {**idf, "coef": self.head.coef, "intercept": self.head.intercept}
        if self.oos_label is not None and self.anchors is not None:
            arrays["anchors"] = self.anchors.astype(np.float16)
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
            centres={str(k): float(v) for k, v in (meta.get("centres") or {}).items()},
        )
        return cls(
            field=field,
            featurizer=featurizer,
            head=head,
            rows=int(meta["rows"]),
            features=[str(name) for name in meta.get("features", [])],
            oos_label=meta.get("oos_label"),
            oos_threshold=float(meta.get("oos_threshold") or 0.0),
            anchors=arrays["anchors"].astype(np.float32) if "anchors" in arrays else None,
            regularisation=Regularisation.from_description(meta.get("regularisation")),
            scope_model=_stored_scope_model(meta.get("scope_model")),
        )


def _stored_scope_model(data: dict[str, Any] | None) -> ScopeModel | None:
    model = ScopeModel.from_description(data)
    if data and model is None:
        log.warning(
            "the team's learned scope score reads signals this release does not compute; "
            "confidence x similarity scores scope until the head is trained again"
        )
    return model


def load_custom_heads(files: dict[str, bytes]) -> dict[str, CustomHead]:
    heads = {}
    for field in CUSTOM_FIELDS:
        if f"custom_{field}.json.gz" not in files:
            continue
        head = CustomHead.from_files(field, files)
        if field in SCORED_FIELDS and set(head.head.centres) != set(head.classes):
            log.warning("the team's %s head has no value for each label; it is not used", field)
            continue
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


@dataclass
class TrainedHead:
    head: CustomHead
    # Labels with too few rows to learn, with their row counts.
    left_out: dict[str, int]
    # How the out-of-scope threshold was chosen and what it gave there (empty without one).
    scope: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The training rows' out-of-fold scores, when they chose the threshold.
    folds: Scored | None = None
    # Rows whose label the field cannot read (too long, not a known value), each a message
    # naming its row: they are left out, the other rows train the head.
    refused: list[str] = dataclasses.field(default_factory=list)


def train_on_usable_rows(
    field: str,
    texts: Sequence[str],
    labels: Sequence[str],
    embed: Callable[[list[str]], FloatMatrix],
    weights: Sequence[float] | None = None,
    oos_label: str | None = None,
    oos_threshold: float | None = None,
    val: Sequence[tuple[str, str]] | None = None,
    row_names: Sequence[str] | None = None,
) -> TrainedHead:
    """Train on the rows `usable_rows` keeps (embedding only those with `embed`).

    Labels are first read as field_labels.py says; a row whose label cannot be read is left
    out and listed in `refused` by its name in `row_names` (by default "row N", 1-based).

    With `oos_label` the head also marks messages out of scope, below `oos_threshold` or, when
    none is given, below the threshold chosen on out-of-fold scores of the training rows and
    on the `val` (text, label) rows (see the module's docstring)."""
    if field not in CUSTOM_FIELDS:
        raise CustomHeadError(f"field must be one of {', '.join(CUSTOM_FIELDS)}, not {field!r}")
    read = read_labels(field, labels, row_names)
    texts = [texts[i] for i in read.kept]
    weights = None if weights is None else [weights[i] for i in read.kept]
    labels = read.labels
    kept, scarce = usable_rows(labels)
    if len({labels[i] for i in kept}) < 2:
        rare = f"; too few rows for: {', '.join(list(scarce)[:10])}" if scarce else ""
        raise CustomHeadError(
            f"at least two labels with {MIN_ROWS_PER_LABEL} or more rows are needed{rare}"
        )
    chosen = [texts[i] for i in kept]
    chosen_labels = [labels[i] for i in kept]
    chosen_weights = None if weights is None else [weights[i] for i in kept]
    vectors = embed(chosen)
    head = train_custom_head(
        field, chosen, chosen_labels, vectors, chosen_weights, values=read.values
    )
    trained = TrainedHead(head, scarce, refused=read.refused_messages())
    if oos_label is None:
        return trained
    if oos_label not in head.classes:
        raise CustomHeadError(f"no label {oos_label!r} with enough rows to learn it")
    head.set_scope(oos_label, vectors, chosen_labels, oos_threshold or 0.0)
    if oos_threshold is not None:
        trained.scope = {"threshold": oos_threshold, "chosen_on": "given"}
        return trained
    folds = out_of_fold_scope(
        field,
        chosen,
        chosen_labels,
        vectors,
        chosen_weights,
        oos_label,
        c=head.regularisation.c,
        inputs=head.regularisation.inputs,
    )
    learned = learn_scope(folds, oos_label)
    if learned is not None:
        # Each training row's learned score comes from a model fitted without it.
        head.scope_model, cross_fitted = learned
        folds = folds._replace(scores=cross_fitted)
    parts = {"training_folds": folds}
    if val:
        val_texts = [t for t, _ in val]
        val_labels, _, val_scores = head.predict_scope(val_texts, embed(val_texts))
        parts["val"] = Scored([lbl for _, lbl in val], val_labels, [float(v) for v in val_scores])
    threshold = choose_scope_threshold(list(parts.values()), oos_label)
    head.oos_threshold = threshold
    trained.folds = folds
    trained.scope = {
        "threshold": threshold,
        "chosen_on": f"{folds.folds} training folds" + (" + --val" if val else ""),
        "score": describe(head)["oos_score"],
    }
    for name, part in parts.items():
        recall, accuracy = oos_balance(
            part.truth, part.predicted, part.scores, oos_label, threshold
        )
        trained.scope[f"on_{name}"] = {
            "oos_recall": round(recall, 4),
            "in_scope_accuracy": round(accuracy, 4),
            "rows": len(part.truth),
        }
    return trained


def choose_scope_threshold(parts: Sequence[Scored], oos_label: str) -> float:
    """The scope-score cut-off that balances OOS recall and in-scope accuracy over all the
    rows of `parts` together (`choose_settled_threshold` on `SCOPE_GRID`, with lower bounds
    `SCOPE_BOUND_Z` standard errors below each figure)."""
    return choose_settled_threshold(
        [t for part in parts for t in part.truth],
        [p for part in parts for p in part.predicted],
        [v for part in parts for v in part.scores],
        oos_label,
        grid=SCOPE_GRID,
        bound_z=SCOPE_BOUND_Z,
    )


class Scored(NamedTuple):
    """Rows' labels, the labels a head predicts for them and their scope scores (and, from
    `out_of_fold_scope`, their `SCOPE_SIGNALS`)."""

    truth: list[str]
    predicted: list[str]
    scores: list[float]
    folds: int = 0
    signals: FloatMatrix | None = None


def scope_signals(
    proba: FloatMatrix, similarity: npt.NDArray[np.float64], oos_index: int | None
) -> FloatMatrix:
    """`SCOPE_SIGNALS` of each row of `proba`, whose nearest in-scope similarity is
    `similarity`; `oos_index` is the out-of-scope label's column."""
    p = np.asarray(proba, dtype=np.float64)
    top = np.sort(p, axis=1)
    confidence = top[:, -1]
    margin = confidence - top[:, -2] if p.shape[1] > 1 else confidence
    entropy = -(p * np.log(np.clip(p, 1e-12, 1.0))).sum(axis=1) / np.log(max(p.shape[1], 2))
    oos = p[:, oos_index] if oos_index is not None else np.zeros(len(p))
    near = np.clip(np.asarray(similarity, dtype=np.float64), 0.0, 1.0)
    return np.column_stack(
        [
            confidence,
            near,
            oos,
            margin,
            entropy,
            np.log(np.maximum(confidence, 1e-6)),
            np.log(np.maximum(near, 1e-6)),
        ]
    ).astype(np.float32)


def learn_scope(folds: Scored, oos_label: str) -> tuple[ScopeModel, list[float]] | None:
    """A `ScopeModel` fitted on the out-of-fold rows (the label's rows against in-scope rows
    the fold heads answered right; wrong answers are left out, a threshold cannot save them),
    and each row's score from a model fitted on the other `SCOPE_FOLDS` folds. None when
    either kind has fewer than `SCOPE_MODEL_MIN_ROWS` rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    if folds.signals is None:
        return None
    truth, predicted = np.asarray(folds.truth), np.asarray(folds.predicted)
    outside = truth == oos_label
    right = ~outside & (predicted == truth)
    if min(int(outside.sum()), int(right.sum())) < SCOPE_MODEL_MIN_ROWS:
        return None
    x = np.asarray(folds.signals, dtype=np.float64)
    keep = outside | right

    def fit(rows: npt.NDArray[np.bool_]) -> Any:
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
        return model.fit(x[rows], right[rows].astype(int))

    scores = np.zeros(len(truth))
    splits = StratifiedKFold(SCOPE_FOLDS, shuffle=True, random_state=0).split(x, outside)
    for fit_rows, held in splits:
        mask = np.zeros(len(truth), dtype=bool)
        mask[fit_rows] = True
        scores[held] = fit(mask & keep).predict_proba(x[held])[:, 1]
    final = fit(keep)
    model = ScopeModel(
        [round(float(c), 6) for c in final.coef_[0]],
        round(float(final.intercept_[0]), 6),
        {"out_of_scope": int(outside.sum()), "in_scope_answered_right": int(right.sum())},
    )
    return model, [float(v) for v in scores]


def out_of_fold_scope(
    field: str,
    texts: Sequence[str],
    labels: Sequence[str],
    embeddings: FloatMatrix,
    weights: Sequence[float] | None,
    oos_label: str,
    folds: int = SCOPE_FOLDS,
    c: float = REGULARISATION_C,
    inputs: str = VARIANT,
) -> Scored:
    """The label, predicted label and scope score of each training row, each from a head
    fitted on the other folds (stratified, seeded). A label too rare to reach every fold is simply
    missing from some folds' heads, as an unseen kind of request would be."""
    from sklearn.model_selection import StratifiedKFold

    n_splits = max(2, min(folds, max(Counter(labels).values())))
    with warnings.catch_warnings():
        # Labels with fewer rows than folds are expected (two rows are enough to learn one).
        warnings.simplefilter("ignore", UserWarning)
        splits = list(
            StratifiedKFold(n_splits, shuffle=True, random_state=0).split(texts, list(labels))
        )
    out = Scored([], [], [], n_splits)
    blocks: list[FloatMatrix] = []
    for fit, held in splits:
        fit_labels = [labels[i] for i in fit]
        if len(set(fit_labels)) < 2:
            continue
        head = _fit(
            field,
            [texts[i] for i in fit],
            fit_labels,
            embeddings[fit],
            None if weights is None else [weights[i] for i in fit],
            c,
            inputs,
        )
        head.anchors = scope_anchors(embeddings[fit], fit_labels, oos_label)
        head.oos_label = oos_label
        proba = head.proba([texts[i] for i in held], embeddings[held])
        signals = head.signals(proba, embeddings[held])
        out.truth.extend(labels[i] for i in held)
        out.predicted.extend(head._best(proba)[0])
        # The product of confidence and similarity (the score without a learned model).
        out.scores.extend(float(v) for v in signals[:, 0] * signals[:, 1])
        blocks.append(signals)
    return out._replace(signals=np.concatenate(blocks)) if blocks else out


def unit_sentence_vectors(embeddings: FloatMatrix) -> FloatMatrix:
    """The sentence vector (the first `DIMENSIONS` features) of each row, L2-normalised."""
    vectors = np.asarray(embeddings[:, :DIMENSIONS], dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def scope_anchors(embeddings: FloatMatrix, labels: Sequence[str], oos_label: str) -> FloatMatrix:
    """Unit sentence vectors of the in-scope rows (at most `MAX_ANCHORS`, a seeded sample)."""
    rows = [i for i, label in enumerate(labels) if label != oos_label]
    if len(rows) > MAX_ANCHORS:
        rng = np.random.default_rng(0)
        rows = sorted(int(i) for i in rng.choice(rows, MAX_ANCHORS, replace=False))
    return unit_sentence_vectors(embeddings[rows])


def nearest_similarity(
    embeddings: FloatMatrix, anchors: FloatMatrix, chunk: int = 1024
) -> npt.NDArray[np.float64]:
    """Cosine similarity of each row's sentence vector to its nearest anchor, at least 0."""
    queries = unit_sentence_vectors(embeddings)
    out = np.zeros(len(queries), dtype=np.float64)
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk] @ anchors.T
        out[start : start + chunk] = block.max(axis=1)
    return np.clip(out, 0.0, 1.0)


def train_custom_head(
    field: str,
    texts: Sequence[str],
    labels: Sequence[str],
    embeddings: FloatMatrix,
    weights: Sequence[float] | None = None,
    c: float | None = None,
    inputs: str | None = None,
    values: dict[str, float] | None = None,
) -> CustomHead:
    """Fit a head predicting `labels` from `texts` (whose MiniLM features are `embeddings`).

    With `c` (and `inputs`, by default "combined") given, the head is fitted with them;
    otherwise `choose_regularisation` picks both on the training rows. Urgency, sentiment and
    spam labels are read as field_labels.py says; the head keeps each label's value (`values`
    when given: the scale of the file they were read from)."""
    if field not in CUSTOM_FIELDS:
        raise CustomHeadError(f"field must be one of {', '.join(CUSTOM_FIELDS)}, not {field!r}")
    if len(texts) != len(labels) or len(texts) != len(embeddings):
        raise CustomHeadError("one label and one vector per text are required")
    read = read_labels(field, labels)
    if read.refused:
        raise CustomHeadError("; ".join(read.refused_messages()[:5]))
    labels = read.labels
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
    if c is None:
        regularisation = choose_regularisation(texts, labels, embeddings, weights)
    else:
        regularisation = Regularisation(c, "given", inputs=inputs or VARIANT)
    head = _fit(field, texts, labels, embeddings, weights, regularisation.c, regularisation.inputs)
    head.regularisation = regularisation
    if field in SCORED_FIELDS:
        known = {**read.values, **(values or {})}
        head.head.centres = {label: known[label] for label in head.classes}
    return head


def _matrix(
    inputs: str, featurizer: TfidfFeaturizer, texts: Sequence[str], embeddings: FloatMatrix
) -> Any:
    """The features a head reading `inputs` (`INPUTS`) sees of `texts`."""
    if inputs == "sentence":
        return np.asarray(embeddings[:, :DIMENSIONS], dtype=np.float32)
    return assemble(VARIANT, featurizer.transform(texts), embeddings, style_matrix(texts))


def choose_regularisation(
    texts: Sequence[str],
    labels: Sequence[str],
    embeddings: FloatMatrix,
    weights: Sequence[float] | None = None,
    grid: Sequence[float] = C_GRID,
    inputs: Sequence[str] = INPUTS,
) -> Regularisation:
    """The inputs (`INPUTS`) and C of `grid` with the best mean macro-F1 over
    `SELECTION_FOLDS` stratified, seeded folds of the training rows (on a tie, the first
    inputs and the smaller C). Each fold fits its own TF-IDF vocabulary once, shared by every
    strength; each model is fitted from scratch. Nothing outside the training rows is read."""
    from sklearn.model_selection import StratifiedKFold

    from smartinbox.ai.metrics import classification_report

    if len(texts) < SELECTION_MIN_ROWS:
        return Regularisation(
            REGULARISATION_C, f"default: {len(texts)} rows are too few to compare strengths"
        )
    rows = _proportional_sample(labels, SELECTION_MAX_ROWS)
    sample_labels = [labels[i] for i in rows]
    with warnings.catch_warnings():
        # Labels with fewer rows than folds are expected (two rows are enough to learn one).
        warnings.simplefilter("ignore", UserWarning)
        splits = list(
            StratifiedKFold(SELECTION_FOLDS, shuffle=True, random_state=0).split(
                rows, sample_labels
            )
        )
    folds = []
    for fit_part, held_part in splits:
        fit = [rows[i] for i in fit_part]
        held = [rows[i] for i in held_part]
        fit_labels = [labels[i] for i in fit]
        if len(set(fit_labels)) < 2:
            continue
        fit_texts, held_texts = [texts[i] for i in fit], [texts[i] for i in held]
        featurizer = TfidfFeaturizer().fit(fit_texts) if VARIANT in inputs else TfidfFeaturizer()
        matrices = {
            name: (
                _matrix(name, featurizer, fit_texts, embeddings[fit]),
                _matrix(name, featurizer, held_texts, embeddings[held]),
            )
            for name in inputs
        }
        sample_weight = (
            None if weights is None else np.asarray([weights[i] for i in fit], dtype=np.float64)
        )
        folds.append((matrices, fit_labels, sample_weight, [labels[i] for i in held]))

    def held_out_macro_f1(fold: int, name: str, c: float) -> float:
        matrices, fit_labels, sample_weight, held_labels = folds[fold]
        matrix, held_matrix = matrices[name]
        model = _logistic_regression(c).fit(matrix, fit_labels, sample_weight=sample_weight)
        predicted = [str(p) for p in model.predict(held_matrix)]
        return float(classification_report(held_labels, predicted)["macro_f1"])

    candidates = [(name, c) for name in inputs for c in sorted(grid)]
    scores: dict[tuple[str, float], list[float]] = {key: [] for key in candidates}
    for fold in range(len(folds)):
        for name, c in candidates:
            scores[(name, c)].append(held_out_macro_f1(fold, name, c))
    if not all(scores.values()):
        return Regularisation(REGULARISATION_C, "default: no fold held two labels to learn")
    means = {key: float(np.mean(values)) for key, values in scores.items()}
    best_inputs, best_c = max(candidates, key=lambda key: means[key])
    return Regularisation(
        best_c,
        f"{len(folds)}-fold cross-validation on {len(rows)} rows",
        {_candidate(name, c, inputs): round(means[(name, c)], 4) for name, c in candidates},
        best_inputs,
    )


def _candidate(name: str, c: float, inputs: Sequence[str]) -> str:
    return f"{c:g}" if len(inputs) == 1 else f"{name} {c:g}"


def _proportional_sample(labels: Sequence[str], cap: int) -> list[int]:
    """Row indices: all of them up to `cap`, beyond it a seeded sample keeping each label's
    share of the rows (at least two rows of each label)."""
    if len(labels) <= cap:
        return list(range(len(labels)))
    rng = np.random.default_rng(0)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    chosen: list[int] = []
    for label in sorted(by_label):
        members = by_label[label]
        take = min(len(members), max(MIN_ROWS_PER_LABEL, round(len(members) * cap / len(labels))))
        chosen.extend(int(i) for i in rng.choice(members, take, replace=False))
    return sorted(chosen)


def _fit(
    field: str,
    texts: Sequence[str],
    labels: Sequence[str],
    embeddings: FloatMatrix,
    weights: Sequence[float] | None = None,
    c: float = REGULARISATION_C,
    inputs: str = VARIANT,
) -> CustomHead:
    featurizer = TfidfFeaturizer().fit(texts)
    matrix = _matrix(inputs, featurizer, texts, embeddings)
    model = _logistic_regression(c)
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
    return CustomHead(
        field=field,
        featurizer=featurizer,
        head=head,
        rows=len(texts),
        regularisation=Regularisation(c, "given", inputs=inputs),
    )


def _logistic_regression(c: float) -> Any:
    """The team head's model at strength `c` (unfitted), for the final fit and the comparison."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=0)


def describe(head: CustomHead) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rows": head.rows,
        "labels": head.classes,
        "regularisation": head.regularisation.describe(),
    }
    if head.oos_label is not None:
        scope = SCOPE_CONFIDENCE if head.anchors is None else SCOPE_WITH_ANCHORS
        if head.anchors is not None and head.scope_model is not None:
            scope = SCOPE_LEARNED
            out["scope_model"] = head.scope_model.describe()
        out.update(oos_label=head.oos_label, oos_threshold=head.oos_threshold, oos_score=scope)
    return out
