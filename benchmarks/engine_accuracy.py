"""Held-out accuracy, training time and analysis speed of the local engine.

Trains the default models from the data shipped in the package (timed), then refits every head
with each feature variant (TF-IDF, MiniLM, both) on the same stratified 80/20 split (seed 0)
and scores it on the 20%. Prints one JSON object and writes it to
benchmarks/results/engine_accuracy.json.

    PYTHONPATH=. .venv/bin/python benchmarks/engine_accuracy.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from smartinbox.ai.corpus import HEADS, dataset_counts, load_corpus
from smartinbox.ai.embedder import MiniLMEmbedder
from smartinbox.ai.engine import MessageInput
from smartinbox.ai.evaluation import all_heads_with, fit_heads, prepare, sample_rows, score_heads
from smartinbox.ai.features import VARIANTS
from smartinbox.ai.providers.local import LocalEngine
from smartinbox.ai.training import (
    HEAD_VARIANTS,
    language_accuracy,
    load_local_engine,
    train_default_models,
)

RESULTS = Path(__file__).parent / "results" / "engine_accuracy.json"


def compare_variants(sample: int | None, embedder: MiniLMEmbedder) -> dict[str, Any]:
    prepared = prepare(sample_rows(load_corpus(), sample), embedder, None)
    by_head: dict[str, dict[str, Any]] = {head: {} for head in HEADS}
    fit_seconds: dict[str, float] = {}
    for variant in VARIANTS:
        started = time.perf_counter()
        featurizer, heads = fit_heads(prepared, prepared.train, all_heads_with(variant))
        fit_seconds[variant] = round(time.perf_counter() - started, 2)
        for head, scores in score_heads(prepared, featurizer, heads).items():
            by_head[head][variant] = scores
    return {
        "rows": dataset_counts(prepared.rows),
        "held_out_rows": len(prepared.test),
        "fit_seconds_all_heads": fit_seconds,
        "heads": by_head,
    }


def speed(engine: LocalEngine, texts: list[str]) -> dict[str, float]:
    messages = [MessageInput(t) for t in texts]
    engine.analyze(messages[:8])  # warm-up: first ONNX run allocates buffers
    started = time.perf_counter()
    engine.analyze(messages)
    batch_seconds = time.perf_counter() - started
    singles, suggests = [], []
    for message in messages[:100]:
        started = time.perf_counter()
        triage = engine.analyze([message])[0]
        singles.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        engine.suggest(message, triage)
        suggests.append((time.perf_counter() - started) * 1000)
    return {
        "batch_messages": len(messages),
        "analyze_batch_messages_per_s": round(len(messages) / batch_seconds, 1),
        "analyze_single_ms_median": round(statistics.median(singles), 2),
        "analyze_single_ms_p95": round(sorted(singles)[int(len(singles) * 0.95) - 1], 2),
        "suggest_single_ms_median": round(statistics.median(suggests), 2),
    }


def summary(
    heads: dict[str, Any], chosen: dict[str, str], language: dict[str, Any]
) -> dict[str, Any]:
    def pick(head: str, metric: str) -> Any:
        return heads[head][chosen[head]][metric]

    return {
        "kind_accuracy": pick("kind", "accuracy"),
        "kind_macro_f1": pick("kind", "macro_f1"),
        "kind_accuracy_handwritten": pick("kind", "accuracy_handwritten"),
        "topic_accuracy": pick("topic", "accuracy"),
        "topic_macro_f1": pick("topic", "macro_f1"),
        "spam_f1": pick("spam", "f1"),
        "out_of_scope_recall": pick("out_of_scope", "recall"),
        "out_of_scope_precision": pick("out_of_scope", "precision"),
        "urgency_mae": pick("urgency", "mae"),
        "urgency_mae_handwritten": pick("urgency", "mae_handwritten"),
        "sentiment_mae": pick("sentiment", "mae"),
        "sentiment_mae_handwritten": pick("sentiment", "mae_handwritten"),
        "language_accuracy": language["accuracy"],
        "language_check_messages": language["n"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 rows per stratum (smoke run)")
    args = parser.parse_args()
    sample = 40 if args.quick else None
    embedder = MiniLMEmbedder()

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        manifest = train_default_models(Path(tmp) / "models", sample_per_stratum=sample)
        training_seconds = time.perf_counter() - started
        engine = load_local_engine(Path(tmp) / "models", embedder=embedder)
        language = language_accuracy(engine.triage_model, embedder)
        # Every tenth corpus message: a mix of lengths and sources, for timing only.
        timing_texts = [row.text for row in load_corpus()][::10][:1000]
        throughput = speed(engine, timing_texts)

    comparison = compare_variants(sample, embedder)
    result = {
        "benchmark": "engine_accuracy",
        "quick": bool(args.quick),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        },
        "model_version": manifest["version"],
        "training_seconds": round(training_seconds, 1),
        "chosen_variants": HEAD_VARIANTS,
        "summary": summary(comparison["heads"], HEAD_VARIANTS, language),
        "reply_suggestions": manifest["metrics"]["reply_acceptance"],
        "throughput": throughput,
        "comparison": comparison,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
