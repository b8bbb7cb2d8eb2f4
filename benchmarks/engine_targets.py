"""The engine's quality targets, measured on the public sets in ../shared/data.

Each measure is computed for the shipped approach (a head over TF-IDF n-grams, MiniLM vectors and
style cues, exactly what `smartinbox train triage` fits for a team) and for two simple baselines
in the same run: TF-IDF + logistic regression, and MiniLM vectors + logistic regression.
Prints one JSON object and writes benchmarks/results/engine_targets.json.

    PYTHONPATH=. .venv/bin/python benchmarks/engine_targets.py [--quick] [--data DIR]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import ROOT, machine, write_result
from benchmarks.targets_replies import (
    calibration_figures,
    instant_learning,
    live_out_of_scope,
    throughput,
)
from smartinbox.ai.custom_heads import (
    SCOPE_BOUND_Z,
    SCOPE_GRID,
    choose_scope_threshold,
    nearest_similarity,
    train_custom_head,
    train_on_usable_rows,
)
from smartinbox.ai.embedder import DIMENSIONS, FloatMatrix, MiniLMEmbedder
from smartinbox.ai.metrics import (
    auc,
    choose_oos_threshold,
    choose_settled_threshold,
    classification_report,
    oos_balance,
    with_oos_threshold,
)

DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / "var" / "bench-cache"
OOS = "oos"


class Embeddings:
    """MiniLM triage features (the sentence vector first), cached on disk by content: reruns
    skip the slowest step."""

    def __init__(self, embedder: MiniLMEmbedder) -> None:
        self.embedder = embedder

    def __call__(self, texts: Sequence[str]) -> FloatMatrix:
        key = hashlib.sha256("\x00".join(["features", *texts]).encode()).hexdigest()[:20]
        path = CACHE / f"{key}.npy"
        if path.exists():
            return np.asarray(np.load(path), dtype=np.float32)
        vectors = self.embedder.features(list(texts))
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors


Predictor = Callable[[list[str], FloatMatrix], np.ndarray[Any, Any]]


def fit_baselines(
    train: tuple[list[str], list[str], FloatMatrix],
) -> dict[str, tuple[list[str], Predictor]]:
    """The two simple baselines, each as its class list and a probability function."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels, vectors = train
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    word_lr = LogisticRegression(C=10.0, max_iter=2000).fit(tfidf.fit_transform(texts), labels)
    # The baseline reads the sentence vector alone, as a plain MiniLM classifier would.
    vector_lr = LogisticRegression(C=10.0, max_iter=2000).fit(vectors[:, :DIMENSIONS], labels)
    return {
        "tfidf_lr": (
            [str(c) for c in word_lr.classes_],
            lambda t, _v: np.asarray(word_lr.predict_proba(tfidf.transform(t))),
        ),
        "minilm_lr": (
            [str(c) for c in vector_lr.classes_],
            lambda _t, v: np.asarray(vector_lr.predict_proba(v[:, :DIMENSIONS])),
        ),
    }


def baselines(
    train: tuple[list[str], list[str], FloatMatrix], test_texts: list[str], test_vecs: FloatMatrix
) -> dict[str, tuple[list[str], np.ndarray[Any, Any]]]:
    """Label predictions and class probabilities of the two simple baselines."""
    out = {}
    for name, (classes, predict) in fit_baselines(train).items():
        proba = predict(test_texts, test_vecs)
        out[name] = ([classes[i] for i in proba.argmax(1)], proba)
    return out


def compare(
    train: tuple[list[str], list[str], FloatMatrix],
    test: tuple[list[str], list[str], FloatMatrix],
) -> dict[str, Any]:
    """Accuracy and macro-F1 of the shipped head and both baselines on one split."""
    results: dict[str, Any] = {}
    started = time.perf_counter()
    head = train_custom_head("topic", train[0], train[1], train[2])
    predicted, confidence = head.predict(test[0], test[2])
    report = classification_report(test[1], predicted, confidence)
    results["smartinbox"] = _summary(report, time.perf_counter() - started)
    results["smartinbox"]["regularisation"] = head.regularisation.describe()
    for name, (labels, _proba) in baselines(train, test[0], test[2]).items():
        results[name] = _summary(classification_report(test[1], labels), None)
    return results


def _summary(report: dict[str, Any], seconds: float | None) -> dict[str, Any]:
    out = {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"], "n": report["n"]}
    if "calibration" in report:
        out["ece"] = report["calibration"]["ece"]
    if seconds is not None:
        out["train_and_predict_s"] = round(seconds, 1)
    return out


def clinc(embed: Embeddings, quick: bool) -> dict[str, Any]:
    data = json.loads((DATA / "clinc150-oos" / "data_full.json").read_text())

    def split(*names: str, cap: int | None = None) -> tuple[list[str], list[str], FloatMatrix]:
        rows = [(t, lbl) for n in names for t, lbl in data[n]]
        if cap:
            rows = _per_label(rows, cap)
        texts = [t for t, _ in rows]
        return texts, [lbl for _, lbl in rows], embed(texts)

    cap = 20 if quick else None
    train = split("train", "oos_train", cap=cap)
    val = split("val", "oos_val", cap=5 if quick else None)
    test = split("test", "oos_test", cap=10 if quick else None)
    results: dict[str, Any] = {"rows": {"train": len(train[0]), "test": len(test[0])}}

    # The head `smartinbox train triage --oos-label oos --val` installs: its scope score and
    # the threshold chosen on the training rows' out-of-fold scores and on val.
    started = time.perf_counter()
    trained = train_on_usable_rows(
        "topic",
        train[0],
        train[1],
        embed,
        oos_label=OOS,
        val=list(zip(val[0], val[1], strict=True)),
    )
    head = trained.head
    seconds = round(time.perf_counter() - started, 1)
    models: dict[str, tuple[list[str], Predictor]] = {
        "smartinbox": (head.classes, lambda t, v: head.proba(t, v)),
        **fit_baselines(train),
    }
    results["_team_head"] = head
    results["regularisation"] = head.regularisation.describe()
    results["in_scope_accuracy"] = {}
    results["oos_detection"] = {}
    for name, (classes, predict) in models.items():
        val_proba, test_proba = predict(val[0], val[2]), predict(test[0], test[2])
        results["in_scope_accuracy"][name] = _in_scope_accuracy(classes, test, test_proba)
        scores: tuple[Any, Any] = (val_proba.max(axis=1), test_proba.max(axis=1))
        if name == "smartinbox":
            # The same head by its confidence alone, as heads before the scope score read it.
            results["oos_detection"]["smartinbox_max_probability"] = _detection(
                classes, val, val_proba, test, test_proba, scores
            )
            results["oos_detection"][name] = _detection(
                classes, val, val_proba, test, test_proba,
                (head.scope(val_proba, val[2]), head.scope(test_proba, test[2])), SCOPE_GRID,
            )  # fmt: skip
            continue
        results["oos_detection"][name] = _detection(
            classes, val, val_proba, test, test_proba, scores
        )
    test_proba = head.proba(test[0], test[2])
    assert head.anchors is not None
    by_score = {
        "scope_score": head.scope(test_proba, test[2]),
        # The score a head has without a learned scope model, and the confidence alone.
        "confidence_x_similarity": test_proba.max(1) * nearest_similarity(test[2], head.anchors),
        "max_probability": test_proba.max(1),
    }
    results["oos_detection"]["smartinbox_as_train_triage_chooses"] = {
        **trained.scope,
        "test": _with_oos(head.classes, test, test_proba, head.oos_threshold, by_score["scope_score"]),
        "train_with_folds_s": seconds,
    }  # fmt: skip
    # A team without a validation file: the out-of-fold scores alone choose the threshold;
    # before them, only answers filed under the OOS label counted (threshold 0).
    assert trained.folds is not None
    alone = choose_scope_threshold([trained.folds], OOS)
    results["oos_detection"]["smartinbox_without_val"] = {
        "threshold_from_training_folds": alone,
        **_with_oos(head.classes, test, test_proba, alone, by_score["scope_score"]),
        "label_only": _with_oos(head.classes, test, test_proba, 0.0, by_score["scope_score"]),
    }
    # Diagnostics, not results: how well each score separates the test split's in-scope and
    # OOS queries, and its best balance with the threshold chosen on test itself.
    is_in = [lbl != OOS for lbl in test[1]]
    best = [head.classes[i] for i in test_proba.argmax(axis=1)]
    results["oos_detection"]["score_diagnostics_on_test"] = {
        name: {
            "auroc_in_vs_oos": round(float(auc(list(score), is_in) or 0), 4),
            "best_balance_threshold_chosen_on_test": round(min(
                oos_balance(test[1], best, list(score), OOS,
                            choose_oos_threshold(test[1], best, list(score), OOS, grid=SCOPE_GRID))
            ), 4),
        }
        for name, score in by_score.items()
    }  # fmt: skip
    results["oos_detection"]["threshold_diagnostics"] = _threshold_diagnostics(
        head, trained.folds, val, test, test_proba, by_score["scope_score"]
    )

    few = split("train", cap=10)
    in_test = [i for i, lbl in enumerate(test[1]) if lbl != OOS]
    test_in = ([test[0][i] for i in in_test], [test[1][i] for i in in_test], test[2][in_test])
    results["ten_per_intent"] = compare(few, test_in)
    results["ten_per_intent"]["rows"] = len(few[0])
    return results


def _threshold_diagnostics(
    head: Any,
    folds: Any,
    val: tuple[list[str], list[str], FloatMatrix],
    test: tuple[list[str], list[str], FloatMatrix],
    test_proba: Any,
    test_score: Any,
) -> dict[str, Any]:
    """Why the threshold is where it is (docs/engine.md, *Out-of-scope detection*): the rows
    the learned scope score was fitted on; the share of OOS queries a head files under the OOS
    label itself on the training folds, val and test; and the range of cut-offs around the
    chosen one that catch exactly as many of the OOS rows that chose it, with test's OOS recall
    at both ends."""
    val_proba = head.proba(val[0], val[2])
    val_best = [head.classes[i] for i in val_proba.argmax(axis=1)]
    test_best = [head.classes[i] for i in test_proba.argmax(axis=1)]

    def label_only(truth: list[str], predicted: list[str]) -> float:
        filed = [p == OOS for t, p in zip(truth, predicted, strict=True) if t == OOS]
        return round(sum(filed) / len(filed), 4)

    truth = [*folds.truth, *val[1]]
    predicted = [*folds.predicted, *val_best]
    scores = [*folds.scores, *(float(v) for v in head.scope(val_proba, val[2]))]
    n_oos = sum(t == OOS for t in truth)

    def caught(cut: float) -> int:
        return int(oos_balance(truth, predicted, scores, OOS, cut)[0] * n_oos + 0.5)

    at = SCOPE_GRID.index(head.oos_threshold)
    same = caught(head.oos_threshold)
    low, high = at, at
    while low > 0 and caught(SCOPE_GRID[low - 1]) == same:
        low -= 1
    while high < len(SCOPE_GRID) - 1 and caught(SCOPE_GRID[high + 1]) == same:
        high += 1
    ends = (SCOPE_GRID[low], SCOPE_GRID[high])
    return {
        "scope_model_rows": head.scope_model.rows if head.scope_model else None,
        "label_only_oos_recall": {
            "training_folds": label_only(folds.truth, folds.predicted),
            "val": label_only(val[1], val_best),
            "test": label_only(test[1], test_best),
        },
        "cut_offs_catching_as_many_choosing_oos_rows": {
            "from": ends[0],
            "to": ends[1],
            "caught": same,
            "of": n_oos,
            "test_oos_recall_at_ends": [
                round(oos_balance(test[1], test_best, list(test_score), OOS, cut)[0], 4)
                for cut in ends
            ],
        },
    }


def _in_scope_accuracy(
    classes: list[str], test: tuple[list[str], list[str], FloatMatrix], proba: Any
) -> float:
    """Accuracy on in-scope test rows with detection off: the best in-scope intent wins."""
    mask = np.array([c != OOS for c in classes])
    best = np.where(mask, proba, -1.0).argmax(axis=1)
    rows = [i for i, lbl in enumerate(test[1]) if lbl != OOS]
    return round(float(sum(classes[best[i]] == test[1][i] for i in rows)) / len(rows), 4)


def _with_oos(
    classes: list[str],
    data: tuple[list[str], list[str], FloatMatrix],
    proba: Any,
    t: float,
    score: Any,
) -> dict[str, Any]:
    best = [classes[i] for i in proba.argmax(axis=1)]
    predicted = with_oos_threshold(best, list(score), OOS, t)
    oos = classification_report(data[1], predicted, oos_label=OOS)["oos"]
    return {"oos_recall": oos["recall"], "in_scope_accuracy": oos["in_scope_accuracy"]}


def _detection(
    classes: list[str],
    val: tuple[list[str], list[str], FloatMatrix],
    val_proba: Any,
    test: tuple[list[str], list[str], FloatMatrix],
    test_proba: Any,
    scores: tuple[Any, Any],
    grid: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Test figures at the cut-off of `scores` (val's, test's) chosen on val alone (the rule
    the target names) as `train triage` chooses it (`choose_settled_threshold`: bounded
    balance, settled in the middle of the cut-offs val cannot tell apart), and, under
    `plain_balance`, at the cut-off with the best plain balance of OOS recall and in-scope
    accuracy on val."""
    best = [classes[i] for i in val_proba.argmax(axis=1)]
    settled = choose_settled_threshold(
        val[1], best, list(scores[0]), OOS, grid=grid, bound_z=SCOPE_BOUND_Z
    )
    plain = choose_oos_threshold(val[1], best, list(scores[0]), OOS, grid=grid)
    return {
        "threshold_from_val": settled,
        **_with_oos(classes, test, test_proba, settled, scores[1]),
        "plain_balance": {
            "threshold_from_val": plain,
            **_with_oos(classes, test, test_proba, plain, scores[1]),
        },
    }


def _per_label(rows: list[tuple[str, str]], cap: int) -> list[tuple[str, str]]:
    rng = random.Random(0)
    groups: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        groups.setdefault(row[1], []).append(row)
    chosen: list[tuple[str, str]] = []
    for label in sorted(groups):
        group = groups[label]
        chosen.extend(rng.sample(group, min(cap, len(group))))
    return chosen


def stratified(
    texts: list[str], labels: list[str], embed: Embeddings
) -> tuple[tuple[list[str], list[str], FloatMatrix], tuple[list[str], list[str], FloatMatrix]]:
    from sklearn.model_selection import train_test_split

    vectors = embed(texts)
    a, b = train_test_split(list(range(len(texts))), test_size=0.2, random_state=0, stratify=labels)

    def take(idx: list[int]) -> tuple[list[str], list[str], FloatMatrix]:
        return [texts[i] for i in idx], [labels[i] for i in idx], vectors[idx]

    return take(a), take(b)


def sms(embed: Embeddings, quick: bool) -> dict[str, Any]:
    with (DATA / "sms-spam-collection" / "SMSSpamCollection.tsv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    if quick:
        rows = rows[:800]
    train, test = stratified([r[1] for r in rows], [r[0] for r in rows], embed)
    results = compare(train, test)
    # The head `compare` scored, refitted with the strength it chose, for the per-class figures.
    head = train_custom_head(
        "topic", train[0], train[1], train[2], c=results["smartinbox"]["regularisation"]["c"]
    )
    predicted, _ = head.predict(test[0], test[2])
    results["smartinbox"]["spam_f1"] = classification_report(test[1], predicted)["labels"]["spam"][
        "f1"
    ]
    results["smartinbox"]["test_errors"] = [
        {"label": label, "predicted": guess, "text": text}
        for text, label, guess in zip(test[0], test[1], predicted, strict=True)
        if label != guess
    ]
    for name, (labels, _) in baselines(train, test[0], test[2]).items():
        results[name]["spam_f1"] = classification_report(test[1], labels)["labels"]["spam"]["f1"]
    results["smartinbox"]["spam_f1_5fold_on_train"] = _cross_validated_spam_f1(train)
    return results


def _cross_validated_spam_f1(train: tuple[list[str], list[str], FloatMatrix]) -> dict[str, Any]:
    """Spam F1 of the same head over 5 stratified folds of the training split (each fold's
    head choosing its own regularisation, as training does): how much one test split of about
    150 spam messages can move the figure."""
    from sklearn.model_selection import StratifiedKFold

    texts, labels, vectors = train
    scores = []
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for fit, held in folds.split(texts, labels):
        head = train_custom_head(
            "topic", [texts[i] for i in fit], [labels[i] for i in fit], vectors[fit]
        )
        predicted, _ = head.predict([texts[i] for i in held], vectors[held])
        report = classification_report([labels[i] for i in held], predicted)
        scores.append(report["labels"]["spam"]["f1"])
    return {
        "mean": round(float(np.mean(scores)), 4),
        "sd": round(float(np.std(scores)), 4),
        "folds": [round(float(f), 4) for f in scores],
    }


def bitext(embed: Embeddings, quick: bool) -> dict[str, Any]:
    path = DATA / "bitext-customer-support" / "bitext_customer_support_4514.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if quick:
        rows = rows[::5]
    texts = [r["instruction"] for r in rows]
    out = {}
    for field in ("category", "intent"):
        train, test = stratified(texts, [r[field] for r in rows], embed)
        out[field] = compare(train, test)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small subsets (a smoke run)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--topic-weights",
        default="",
        help="also measure instant learning at these reply-choice topic weights (e.g. 0,0.2,0.5)",
    )
    args = parser.parse_args()
    globals()["DATA"] = args.data
    embedder = MiniLMEmbedder()
    embed = Embeddings(embedder)
    started = time.perf_counter()
    result: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    for name, fn in (("clinc150", clinc), ("sms_spam", sms), ("bitext", bitext)):
        result[name] = fn(embed, args.quick)
        print(f"{name} done", file=sys.stderr)
    scoping_head = result["clinc150"].pop("_team_head")
    # Instant learning installs the team's taxonomy alone (no out-of-scope label).
    team_head = dataclasses.replace(scoping_head, oos_label=None, anchors=None)
    data = json.loads((DATA / "clinc150-oos" / "data_full.json").read_text())
    result["instant_learning"] = instant_learning(data, embedder, args.quick, team_head)
    if args.topic_weights:
        from smartinbox.ai.providers import local

        shipped, sweep = local.TOPIC_WEIGHT, {}
        try:
            for weight in (float(w) for w in args.topic_weights.split(",")):
                local.TOPIC_WEIGHT = weight
                sweep[str(weight)] = instant_learning(data, embedder, args.quick, team_head)
        finally:
            local.TOPIC_WEIGHT = shipped
        result["instant_learning_by_topic_weight"] = sweep
    result["clinc150"]["oos_detection_live_triage"] = live_out_of_scope(
        data, embedder, scoping_head, args.quick
    )
    result["calibration"] = calibration_figures(DATA, embedder, args.quick)
    result["throughput"] = throughput(data, embedder, args.quick)
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    write_result("engine_targets" + ("_quick" if args.quick else ""), result)


if __name__ == "__main__":
    main()
