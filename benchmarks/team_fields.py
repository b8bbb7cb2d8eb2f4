"""A team's own labels on every development set: the team head against two plain baselines.

For each set the team head (`train_custom_head`: the features and C chosen by cross-validation
on the training rows only) is trained with ten examples per label and with the full training
split, and scored on the same test rows as TF-IDF + logistic regression and MiniLM sentence
vector + logistic regression (benchmarks/engine_targets.py's baselines). Nothing is chosen on a
test split. Sets: CLINC150 (in-scope intents), Bitext intents and categories, CFPB products
(consumer narratives; product names up to 76 characters), RSiCS relational tags (sentences
with exactly one tag).

"Full" trains on every training row up to `--max-train` (default 2,000; a seeded sample keeping
each label's share beyond it) and tests on at most `--max-test` rows (default 1,500; a seeded
sample keeping each label's share), so that one run of every set fits on a shared two-core
machine; the JSON records both caps.

    PYTHONPATH=. .venv/bin/python -m benchmarks.team_fields [--quick] [--max-train N]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from benchmarks.common import machine, write_result
from benchmarks.engine_targets import DATA, Embeddings, baselines
from smartinbox.ai.custom_heads import train_custom_head
from smartinbox.ai.embedder import FloatMatrix
from smartinbox.ai.metrics import classification_report

Rows = list[tuple[str, str]]
SHOTS = 10
SEED = 0
NAMES = ("smartinbox", "tfidf_lr", "minilm_lr")


def clinc() -> tuple[Rows, Rows]:
    data = json.loads((DATA / "clinc150-oos" / "data_full.json").read_text())
    return [(t, lbl) for t, lbl in data["train"]], [(t, lbl) for t, lbl in data["test"]]


def _bitext(column: str) -> tuple[Rows, Rows]:
    path = DATA / "bitext-customer-support" / "bitext_customer_support_4514.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(r["instruction"], r[column]) for r in csv.DictReader(handle)]
    return _split(rows)


def cfpb() -> tuple[Rows, Rows]:
    path = DATA / "cfpb-complaints" / "complaints.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            (r["Consumer complaint narrative"].strip(), r["Product"])
            for r in csv.DictReader(handle)
            if r["Consumer complaint narrative"].strip()
        ]
    counts = Counter(label for _, label in rows)
    # Products with at least ten narratives: enough for a test share and ten training rows.
    return _split([(t, lbl) for t, lbl in rows if counts[lbl] >= 10])


RSICS_TAGS = (
    "Greeting",
    "Backstory",
    "Justification",
    "Rant",
    "Gratitude",
    "Other",
    "Express Emotion",
)


def rsics() -> tuple[Rows, Rows]:
    path = DATA / "rsics" / "tagged_selections_by_sentence.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = []
        for record in csv.DictReader(handle):
            tags = [t for t in RSICS_TAGS if record[t].strip() == "1"]
            if len(tags) == 1 and record["Selected"].strip():
                rows.append((record["Selected"].strip(), tags[0]))
    return _split(rows)


SETS: dict[str, Callable[[], tuple[Rows, Rows]]] = {
    "clinc150": clinc,
    "bitext_intent": lambda: _bitext("intent"),
    "bitext_category": lambda: _bitext("category"),
    "cfpb_product": cfpb,
    "rsics_tags": rsics,
}


def _split(rows: Rows) -> tuple[Rows, Rows]:
    """A seeded, stratified 80/20 split of a set without one of its own."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(
        rows, test_size=0.2, random_state=SEED, stratify=[lbl for _, lbl in rows]
    )
    return list(train), list(test)


def per_label(rows: Rows, cap: int) -> Rows:
    """At most `cap` rows of each label (a seeded sample)."""
    rng = random.Random(SEED)
    groups: dict[str, Rows] = {}
    for row in rows:
        groups.setdefault(row[1], []).append(row)
    return [
        r
        for label in sorted(groups)
        for r in rng.sample(groups[label], min(cap, len(groups[label])))
    ]


def sample(rows: Rows, cap: int) -> Rows:
    """All rows up to `cap`; beyond it a seeded sample keeping each label's share."""
    if len(rows) <= cap:
        return rows
    counts = Counter(lbl for _, lbl in rows)
    share = {lbl: max(2, round(n * cap / len(rows))) for lbl, n in counts.items()}
    rng = random.Random(SEED)
    groups: dict[str, Rows] = {}
    for row in rows:
        groups.setdefault(row[1], []).append(row)
    return [r for label in sorted(groups) for r in rng.sample(groups[label], share[label])]


def run(train: Rows, test: Rows, embed: Embeddings) -> dict[str, Any]:
    texts, labels = [t for t, _ in train], [lbl for _, lbl in train]
    test_texts, test_labels = [t for t, _ in test], [lbl for _, lbl in test]
    vectors: FloatMatrix = embed(texts)
    test_vectors: FloatMatrix = embed(test_texts)
    started = time.perf_counter()
    head = train_custom_head("topic", texts, labels, vectors)
    predicted, _ = head.predict(test_texts, test_vectors)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {
        "train_rows": len(train),
        "test_rows": len(test),
        "labels": len(set(labels)),
        "smartinbox": _figures(test_labels, predicted),
        "chosen": head.regularisation.describe(),
        "smartinbox_train_and_predict_s": round(seconds, 1),
    }
    for name, (answers, _proba) in baselines(
        (texts, labels, vectors), test_texts, test_vectors
    ).items():
        out[name] = _figures(test_labels, answers)
    return out


def _figures(truth: list[str], predicted: list[str]) -> dict[str, float]:
    report = classification_report(truth, predicted)
    return {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}


def main() -> None:
    from smartinbox.ai.registry import shared_embedder

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="ten examples per label only")
    parser.add_argument("--max-train", type=int, default=2000)
    parser.add_argument("--max-test", type=int, default=1500)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    args = parser.parse_args()
    embed = Embeddings(shared_embedder())
    started = time.perf_counter()
    results: dict[str, Any] = {}
    for name in args.sets.split(","):
        train, test = SETS[name]()
        test = sample(test, args.max_test)
        results[name] = {f"{SHOTS}_shot": run(per_label(train, SHOTS), test, embed)}
        if not args.quick:
            results[name]["full"] = run(sample(train, args.max_train), test, embed)
        print(f"{name}: done at {time.perf_counter() - started:.0f} s", flush=True)
    report = {
        "benchmark": "team_fields",
        "max_train": args.max_train,
        "max_test": args.max_test,
        "quick": args.quick,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": machine(),
        "sets": results,
    }
    write_result("team_fields", report)  # prints the JSON
    print(table(results))


def table(results: dict[str, Any]) -> str:
    """Accuracy of each approach per set and training size; * marks the team head below the
    MiniLM baseline."""
    lines = [
        f"{'set':<17}{'train':<9}{'rows':>6}{'labels':>7}  "
        f"{'smartinbox':>10}{'tfidf_lr':>10}{'minilm_lr':>10}  chosen"
    ]
    for name, sizes in results.items():
        for size, r in sizes.items():
            accuracy = [r[k]["accuracy"] for k in NAMES]
            flag = " *" if accuracy[0] < accuracy[2] else ""
            chosen = f"{r['chosen']['inputs']} C {r['chosen']['c']:g}"
            lines.append(
                f"{name:<17}{size:<9}{r['train_rows']:>6}{r['labels']:>7}  "
                + "".join(f"{a:>10.4f}" for a in accuracy)
                + f"  {chosen}{flag}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
