"""Triage on real customer traffic: spam false positives, spam recall, kind agreement, urgency.

Reads the real sets of the shared data folder (smartinbox/ai/real_data.py), triages one split
(`dev` by default; `held_out` only to report, once) with the local engine, and prints, for each
set, JSON and a table:

A message counts as flagged spam as the inbox decides it (`snooze_reason`): kind `spam` or a
spam score of 0.5 or more; such a message gets no reply suggested and waits in the snoozed queue.

- spam_fpr: share of legitimate messages flagged spam (CFPB narratives, RSiCS
  requests, Parakweet e-mail sentences, CuCom opening customer turns, SpamAssassin easy and hard
  ham, SMS ham);
- spam_recall: share of SpamAssassin spam and SMS spam flagged spam; sms_f1;
- kind_agreement: share of CFPB narratives and CuCom opening turns that come out complaint or
  urgent;
- urgency_auc: ROC AUC of the urgency score where a set carries a label to rank against (RSiCS
  requests with a sentence tagged Rant or Express Emotion, a proxy: no set has priority labels);
- baselines: TF-IDF + logistic regression and MiniLM + logistic regression spam classifiers,
  trained on the same sets' `train` split, at a 0.5 cut-off.

`sms_rows_in_training` counts the SMS rows of the split that the models' own training sample
holds (the shipped sample before the real-traffic work held every SMS spam message).

    python -m benchmarks.real_traffic [--quick] [--split dev|held_out] [--models DIR]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import ROOT, machine, write_result
from smartinbox.ai import real_data
from smartinbox.ai.engine import MessageInput, Triage

QUICK_PER_SET = 120
# The baselines are fitted on at most this many train-split rows per set (embedding time).
BASELINE_TRAIN_PER_SET = 800
# (name, dataset, subsets, legitimate?)
SETS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("cfpb_narratives", "cfpb", ("narrative",), True),
    ("rsics_requests", "rsics", ("multi_intent", "tagged"), True),
    ("parakweet_sentences", "parakweet", ("sentence",), True),
    ("cucom_opening_turns", "cucom", ("opening_turn",), True),
    ("spamassassin_easy_ham", "spamassassin", ("easy_ham",), True),
    ("spamassassin_hard_ham", "spamassassin", ("hard_ham",), True),
    ("spamassassin_spam", "spamassassin", ("spam",), False),
    ("sms_ham", "sms", ("ham",), True),
    ("sms_spam", "sms", ("spam",), False),
)
KIND_SETS = ("cfpb_narratives", "cucom_opening_turns")


def models_key() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "smartinbox" / "ai").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def shipped_sms_texts() -> set[str]:
    path = ROOT / "smartinbox" / "ai" / "data" / "sms_spam_sample.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {row["text"].strip().lower() for row in csv.DictReader(io.StringIO(f.read()))}


def load_sets(
    split: str, quick: bool, per_set: int | None = None
) -> dict[str, list[real_data.RealRow]]:
    by_dataset = {d: real_data.load(d) for d in {s[1] for s in SETS}}
    out: dict[str, list[real_data.RealRow]] = {}
    for name, dataset, subsets, _legit in SETS:
        rows = [r for r in by_dataset[dataset] if r.subset in subsets and r.split == split]
        cap = QUICK_PER_SET if quick else per_set
        if cap is not None and len(rows) > cap:
            rows = random.Random(0).sample(rows, cap)
        out[name] = rows
    return out


def triage_rows(
    engine: Any, rows: Sequence[real_data.RealRow]
) -> tuple[list[Triage], list[float], list[float]]:
    """Each row's triage as the engine gives it, its spam score before the cut-off, and the
    cut-off that applied to it (the engine's own code, on the features it computed once)."""
    from smartinbox.ai.providers.local import _clean

    model = engine.triage_model
    results: list[Triage] = []
    raw: list[float] = []
    cutoffs: list[float] = []
    for start in range(0, len(rows), 256):
        texts = [_clean(MessageInput(r.text).text) for r in rows[start : start + 256]]
        embeddings = engine.embedder.features(texts)
        triaged = model.triage(texts, embeddings, engine.version, 0.0)
        proba = model.probabilities(texts, embeddings)
        gibberish = model.heads["gibberish"].positive(proba["gibberish"])
        results.extend(triaged)
        if hasattr(model, "spam_scores"):
            raw.extend(float(x) for x in model.spam_scores(proba))
            cutoffs.extend(
                model.spam_cutoff_for(text, t.language, float(g))
                for text, t, g in zip(texts, triaged, gibberish, strict=True)
            )
    return results, raw, cutoffs


# Candidate general spam cut-offs, reported on whichever split is read; the shipped one is
# chosen on dev (the customer and other-language cut-off stays as shipped).
CUTOFF_GRID = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97)


def cutoff_grid(
    engine: Any, scores: dict[str, tuple[list[float], list[float]]]
) -> dict[str, dict[str, float]]:
    model = engine.triage_model
    shipped = model.spam_cutoff
    grid: dict[str, dict[str, float]] = {}
    for cutoff in CUTOFF_GRID:
        entry: dict[str, float] = {}
        for name, (raw, applied) in scores.items():
            # A row's cut-off is the general one unless a stricter (customer, language) or a
            # looser (gibberish) rule applied to it.
            flagged = [
                r >= (cutoff if a == shipped else max(a, cutoff) if a > shipped else a)
                for r, a in zip(raw, applied, strict=True)
            ]
            entry[name] = round(sum(flagged) / max(len(flagged), 1), 4)
        legit = [entry[n] for n, _d, _s, is_legit in SETS if is_legit and n in entry]
        entry["mean_fpr"] = round(float(np.mean(legit)), 4)
        entry["max_fpr"] = round(float(np.max(legit)), 4)
        grid[str(cutoff)] = entry
    return grid


def auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(set(labels)) < 2:
        return None
    return round(float(roc_auc_score(labels, scores)), 4)


def f1(spam_hits: int, spam_total: int, ham_false: int) -> float:
    precision = spam_hits / max(spam_hits + ham_false, 1)
    recall = spam_hits / max(spam_total, 1)
    return round(2 * precision * recall / max(precision + recall, 1e-9), 4)


def engine_figures(engine: Any, sets: dict[str, list[real_data.RealRow]]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    spam_flags: dict[str, list[bool]] = {}
    scores: dict[str, tuple[list[float], list[float]]] = {}
    for name, _dataset, _subsets, legit in SETS:
        rows = sets[name]
        triaged, raw, cutoffs = triage_rows(engine, rows)
        if raw:
            scores[name] = (raw, cutoffs)
        flagged = [t.kind == "spam" or t.spam >= 0.5 for t in triaged]
        spam_flags[name] = flagged
        entry: dict[str, Any] = {"n": len(rows)}
        share = round(sum(flagged) / max(len(rows), 1), 4)
        entry["spam_fpr" if legit else "spam_recall"] = share
        entry["kinds"] = {
            k: sum(t.kind == k for t in triaged) for k in sorted({t.kind for t in triaged})
        }
        if name in KIND_SETS:
            agree = sum(t.kind in ("complaint", "urgent") for t in triaged)
            entry["kind_agreement"] = round(agree / max(len(rows), 1), 4)
            with_reason = sum(bool(getattr(t, "reasons", [])) for t in triaged)
            entry["urgency_reason_share"] = round(with_reason / max(len(rows), 1), 4)
        if name == "rsics_requests":
            labelled = [
                (t.urgency, int(r.get("rant")))
                for t, r in zip(triaged, rows, strict=True)
                if r.get("rant")
            ]
            entry["urgency_auc_rant_proxy"] = auc(
                [u for u, _ in labelled], [y for _, y in labelled]
            )
            entry["urgency_auc_rows"] = len(labelled)
        figures[name] = entry
    sms_spam, sms_ham = spam_flags["sms_spam"], spam_flags["sms_ham"]
    figures["sms_spam"]["sms_f1"] = f1(sum(sms_spam), len(sms_spam), sum(sms_ham))
    shipped = shipped_sms_texts()
    for name in ("sms_spam", "sms_ham"):
        figures[name]["sms_rows_in_training"] = sum(
            r.text.strip().lower() in shipped for r in sets[name]
        )
    if scores:
        figures["cutoff_grid"] = cutoff_grid(engine, scores)
    return figures


def baselines(
    train_sets: dict[str, list[real_data.RealRow]],
    eval_sets: dict[str, list[real_data.RealRow]],
    minilm: bool,
) -> dict[str, Any]:
    """Spam classifiers fitted on the train split of the same sets, scored like the engine."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train_rows = [r for rows in train_sets.values() for r in rows]
    texts = [r.text[:2000] for r in train_rows]
    labels = [r.spam for r in train_rows]
    out: dict[str, Any] = {}
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50_000
    )
    x_train = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(x_train, labels)
    out["tfidf_logreg"] = _baseline_scores(
        {
            n: model.predict_proba(vectorizer.transform([r.text[:2000] for r in rows]))[:, 1]
            for n, rows in eval_sets.items()
            if rows
        }
    )
    if minilm:
        from smartinbox.ai.embedder import DIMENSIONS, MiniLMEmbedder

        embedder = MiniLMEmbedder()
        vectors = embedder.embed(texts)[:, :DIMENSIONS]
        model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(
            vectors, labels
        )
        out["minilm_logreg"] = _baseline_scores(
            {
                n: model.predict_proba(embedder.embed([r.text for r in rows])[:, :DIMENSIONS])[:, 1]
                for n, rows in eval_sets.items()
                if rows
            }
        )
    return out


def _baseline_scores(proba: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, _dataset, _subsets, legit in SETS:
        if name not in proba:
            continue
        flagged = np.asarray(proba[name]) >= 0.5
        out[name] = {("spam_fpr" if legit else "spam_recall"): round(float(flagged.mean()), 4)}
    if "sms_spam" in proba and "sms_ham" in proba:
        hits = int((np.asarray(proba["sms_spam"]) >= 0.5).sum())
        false = int((np.asarray(proba["sms_ham"]) >= 0.5).sum())
        out["sms_spam"]["sms_f1"] = f1(hits, len(proba["sms_spam"]), false)
    return out


def summary(figures: dict[str, Any]) -> dict[str, Any]:
    fprs = [v["spam_fpr"] for v in figures.values() if isinstance(v, dict) and "spam_fpr" in v]
    return {
        "mean_spam_fpr": round(float(np.mean(fprs)), 4),
        "max_spam_fpr": round(float(np.max(fprs)), 4),
        "spamassassin_spam_recall": figures["spamassassin_spam"]["spam_recall"],
        "sms_f1": figures["sms_spam"]["sms_f1"],
        "mean_kind_agreement": round(
            float(np.mean([figures[k]["kind_agreement"] for k in KIND_SETS])), 4
        ),
        "urgency_auc_rant_proxy": figures["rsics_requests"]["urgency_auc_rant_proxy"],
    }


def table(figures: dict[str, Any], base: dict[str, Any]) -> str:
    header = (
        f"{'set':<24}{'n':>6}  {'metric':<12}{'engine':>8}{'tfidf_lr':>10}{'minilm_lr':>10}  extra"
    )
    lines = [header, "-" * len(header)]
    for name, _dataset, _subsets, legit in SETS:
        entry = figures[name]
        metric = "spam_fpr" if legit else "spam_recall"
        cells = [
            base.get(b, {}).get(name, {}).get(metric) for b in ("tfidf_logreg", "minilm_logreg")
        ]
        extra = ", ".join(
            f"{k}={entry[k]}"
            for k in ("kind_agreement", "urgency_auc_rant_proxy", "sms_f1")
            if k in entry
        )
        shown = ["-" if c is None else f"{c:.4f}" for c in cells]
        lines.append(
            f"{name:<24}{entry['n']:>6}  {metric:<12}{entry[metric]:>8.4f}{shown[0]:>10}{shown[1]:>10}  {extra}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"at most {QUICK_PER_SET} rows per set"
    )
    parser.add_argument("--split", choices=("dev", "held_out"), default="dev")
    parser.add_argument("--models", type=Path, help="a trained models folder (default: train one)")
    parser.add_argument("--no-minilm-baseline", action="store_true")
    args = parser.parse_args()

    from smartinbox.ai.training import ensure_models, load_local_engine

    models = (
        args.models
        or Path(os.environ.get("SMARTINBOX_TEST_MODELS_CACHE", ROOT / "var" / "test-models"))
        / models_key()
    )
    started = time.perf_counter()
    manifest = ensure_models(models)
    engine = load_local_engine(models)
    sets = load_sets(args.split, args.quick)
    figures = engine_figures(engine, sets)
    base = baselines(
        load_sets("train", args.quick, BASELINE_TRAIN_PER_SET), sets, not args.no_minilm_baseline
    )
    result = {
        "benchmark": "real_traffic",
        "split": args.split,
        "quick": args.quick,
        "models_version": manifest.get("version"),
        "summary": summary(figures),
        "sets": figures,
        "baselines": base,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine(),
    }
    write_result(f"real_traffic_{args.split}{'_quick' if args.quick else ''}", result)
    print(table(figures, base))
    print(json.dumps(result["summary"]))


if __name__ == "__main__":
    main()
