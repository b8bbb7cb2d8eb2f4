"""Reply suggestions against what agents really sent: CuCom conversations and Bitext requests.

For each data set the engine's reply memory holds only the training split; each held-out turn
gets a suggestion, compared with the reply the agent actually wrote there:

* CuCom (`../shared/data/cucom-ecommerce/`, multi-turn e-commerce conversations): whole
  conversations are held out by a stable hash of their id (80% train, 10% dev, 10% test).
  Every agent turn is a pair: the customer's last turn is the message, the turns before it are
  the conversation so far, the agent's turn is the real reply. The memory holds the training
  conversations' pairs.
* Bitext (`../shared/data/bitext-customer-support/`): requests split by the same hash of
  their row number; the memory holds the training requests with their replies.

In the same run, on the same held-out pairs:

* `engine`: the local engine's suggestion (its triage, retrieval and choice, with history
  where the engine reads it);
* `nearest_neighbour`: the reply of the single most similar stored message, filled the same way;
* `generic`: one fixed reply for everything (the training reply closest to the mean of all
  training replies, chosen on the training split);
* `best_in_memory`: the stored reply most similar to the real reply (an upper bound no
  retrieval can beat).

Figures per method: mean similarity (MiniLM cosine) to the real reply, acceptance (similarity
>= ACCEPT_AT, fixed before any run), for the engine also expected calibration error of its
confidence against acceptance (as is, and after a calibration fitted on a replay of the
training pairs alone, smartinbox/ai/reply_replay.py, with the auto-snooze threshold chosen there
for a target precision), abstention rate, leaks (a number, e-mail address or greeted name in the suggestion
that is in neither the conversation nor the team's recurring text: values found in the replies
of at least two training conversations) and grammar-check failures (smartinbox/ai/reply_checks.py).
A template corpus check fills every template of the shipped memory and of the benchmark memory
with no values and with generated ones and counts grammar failures and braces.

Dev figures are printed beside test figures; anything tuned was tuned on train/dev only.

    python -m benchmarks.reply_quality [--quick] [--conversations N] [--bitext-step N]
        [--models DIR] [--only cucom|bitext] [--target-precision P]

The default run takes 600 CuCom conversations (a stable hash sample) and every 2nd Bitext row;
--quick 250 conversations and every 4th row.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import ROOT, machine, write_result

DATA = ROOT.parent / "shared" / "data"
ACCEPT_AT = 0.5  # similarity to the real reply at which a suggestion counts as acceptable
GENERATED_VALUES = {
    "order": "A-48213",
    "invoice": "INV-90317",
    "tracking": "1Z999AA10123456784",
    "amount": "$49.99",
}


def split_of(key: str) -> str:
    bucket = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 10
    return "test" if bucket == 9 else "dev" if bucket == 8 else "train"


@dataclass
class Pair:
    key: str  # conversation (or row) the pair comes from
    message: str
    reply: str
    history: tuple[tuple[str, str], ...] = ()  # (customer | agent, text), oldest first
    meta: dict[str, str] = field(default_factory=dict)


def cucom_pairs(limit: int | None) -> dict[str, list[Pair]]:
    path = DATA / "cucom-ecommerce" / "cucom_ecommerce_v0_1.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        conversations = [json.loads(line) for line in f if line.strip()]
    # A stable sample: the conversations whose hash is smallest.
    conversations.sort(key=lambda c: hashlib.sha256(("s" + c["id"]).encode()).hexdigest())
    if limit:
        conversations = conversations[:limit]
    out: dict[str, list[Pair]] = {"train": [], "dev": [], "test": []}
    for conv in conversations:
        turns = [(t["role"].lower(), t["content"].strip()) for t in conv["turns"]]
        for i, (role, content) in enumerate(turns):
            if role != "agent" or i == 0 or turns[i - 1][0] != "user" or not content:
                continue
            history = tuple(("customer" if r == "user" else "agent", c) for r, c in turns[: i - 1])
            out[split_of(conv["id"])].append(Pair(conv["id"], turns[i - 1][1], content, history))
    return out


def bitext_pairs(step: int) -> dict[str, list[Pair]]:
    path = DATA / "bitext-customer-support" / "bitext_customer_support_4514.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out: dict[str, list[Pair]] = {"train": [], "dev": [], "test": []}
    for n, row in enumerate(rows):
        if n % step:
            continue
        meta = {k: row[k] for k in ("intent", "category", "entity_type", "entity_value")}
        out[split_of(f"bitext:{n}")].append(
            Pair(f"bitext:{n}", row["instruction"], row["response"], (), meta)
        )
    return out


def load_engine(models: Path) -> Any:
    from smartinbox.ai.training import ensure_models, load_local_engine

    ensure_models(models)
    return load_local_engine(models)


def shipped_templates(engine: Any) -> list[str]:
    _vectors, active, entries = engine.memory.snapshot()
    return [e.template for e, keep in zip(entries, active, strict=True) if keep]


def fill_memory(engine: Any, train: Sequence[Pair], bitext: bool) -> None:
    from smartinbox.ai.embedder import DIMENSIONS
    from smartinbox.ai.engine import MemoryItem
    from smartinbox.ai.memory import ReplyMemory

    engine.memory = ReplyMemory(DIMENSIONS)
    engine.calibration = None
    if not bitext:
        engine.remember(
            [MemoryItem(p.message, p.reply, "history", f"{p.key}:{n}") for n, p in enumerate(train)]
        )
        return
    from smartinbox.ai.corpus import BitextRow
    from smartinbox.ai.reply_seed import seed_entry

    entries = []
    for p in train:
        row = BitextRow(p.message, p.meta["intent"], p.meta["category"], p.meta["entity_type"],
                        p.meta["entity_value"], "", p.reply)  # fmt: skip
        entries.append(seed_entry(row, p.key, engine.account_types))
    vectors = engine.embedder.embed([p.message for p in train])
    engine.memory.add(entries, vectors, supersede=False)


def message_input(pair: Pair) -> Any:
    from smartinbox.ai.engine import HistoryTurn, MessageInput

    return MessageInput(pair.message, history=tuple(HistoryTurn(r, t) for r, t in pair.history))


def engine_suggestions(engine: Any, pairs: Sequence[Pair]) -> list[Any]:
    from smartinbox.ai.engine import suggest_many

    messages = [message_input(p) for p in pairs]
    triages = engine.analyze(messages)
    out: list[Any] = []
    for start in range(0, len(messages), 64):
        out.extend(suggest_many(engine, messages[start : start + 64], triages[start : start + 64]))
    return out


def approved_values(train: Sequence[Pair]) -> set[str]:
    """Values the team writes to many customers: found in replies of >= 2 training keys."""
    from smartinbox.ai.reply_checks import reply_values

    seen: dict[str, set[str]] = {}
    for p in train:
        for value in reply_values(p.reply):
            seen.setdefault(value, set()).add(p.key)
    return {v for v, keys in seen.items() if len(keys) >= 2}


def score_texts(
    engine: Any, texts: Sequence[str], real: np.ndarray[Any, Any], pairs: Sequence[Pair],
    approved: set[str],
) -> dict[str, Any]:  # fmt: skip
    from smartinbox.ai.reply_checks import grammar_problems, leaked_values

    vectors = engine.embedder.embed(list(texts))
    sims = np.sum(vectors * real, axis=1)
    leaks = [leaked_values(t, (p.message, *(h for _, h in p.history)), approved) for t, p in zip(texts, pairs, strict=True)]  # fmt: skip
    grammar = [grammar_problems(t, p.message) for t, p in zip(texts, pairs, strict=True)]
    return {
        "similarity": sims,
        "leaks": leaks,
        "grammar": grammar,
        "summary": {
            "mean_similarity": round(float(sims.mean()), 4),
            "acceptance": round(float((sims >= ACCEPT_AT).mean()), 4),
            "leaks": sum(bool(x) for x in leaks),
            "grammar_failures": sum(bool(x) for x in grammar),
        },
    }


def evaluate_split(
    engine: Any, pairs: Sequence[Pair], train: Sequence[Pair], approved: set[str]
) -> dict[str, Any]:
    from smartinbox.ai.metrics import reliability
    from smartinbox.ai.placeholders import extract_entities, fill_placeholders

    real = engine.embedder.embed([p.reply for p in pairs])
    suggestions = engine_suggestions(engine, pairs)
    engine_texts = [s.text for s in suggestions]
    scored = score_texts(engine, engine_texts, real, pairs, approved)
    abstained = np.array([bool(getattr(s, "abstained", False)) for s in suggestions])
    confidence = [s.confidence for s in suggestions]
    accepted = (scored["similarity"] >= ACCEPT_AT).astype(int).tolist()
    result: dict[str, Any] = {"pairs": len(pairs)}
    eng = dict(scored["summary"])
    eng["abstention_rate"] = round(float(abstained.mean()), 4)
    if (~abstained).any():
        eng["mean_similarity_answered"] = round(float(scored["similarity"][~abstained].mean()), 4)
    eng["ece"] = reliability(confidence, accepted)["ece"]
    high = [a for c, a in zip(confidence, accepted, strict=True) if c >= 0.9]
    eng["acceptance_at_confidence_0.9"] = round(sum(high) / len(high), 4) if high else None
    eng["examples_leak"] = [
        {"message": p.message[:160], "suggestion": t[:240], "leaked": lk}
        for p, t, lk in zip(pairs, engine_texts, scored["leaks"], strict=True) if lk
    ][:3]  # fmt: skip
    eng["examples_grammar"] = [
        {"suggestion": t[:240], "problems": g}
        for t, g in zip(engine_texts, scored["grammar"], strict=True) if g
    ][:3]  # fmt: skip
    result["engine"] = eng
    result["_confidence"], result["_accepted"] = confidence, accepted

    vectors = engine.embedder.embed([p.message for p in pairs])
    nn_texts = []
    for p, v in zip(pairs, vectors, strict=True):
        hit = engine.memory.search(v, 1)
        nn_texts.append(
            fill_placeholders(hit[0].entry.template, extract_entities(p.message, engine.account_types)).text
            if hit else ""
        )  # fmt: skip
    nn = score_texts(engine, nn_texts, real, pairs, approved)
    result["nearest_neighbour"] = nn["summary"]
    if (~abstained).any():
        result["nearest_neighbour"]["mean_similarity_where_engine_answered"] = round(
            float(nn["similarity"][~abstained].mean()), 4
        )
    generic = _generic(engine, train)
    gen = score_texts(engine, [generic] * len(pairs), real, pairs, approved)
    result["generic"] = {**gen["summary"], "text": generic[:200]}
    result["best_in_memory"] = _best_in_memory(engine, train, real)
    nn_mean = result["nearest_neighbour"]["mean_similarity"]
    result["engine_vs_nearest_neighbour"] = round(eng["mean_similarity"] / nn_mean, 4) if nn_mean else None  # fmt: skip
    return result


_CACHE: dict[int, Any] = {}


def _train_reply_vectors(engine: Any, train: Sequence[Pair]) -> np.ndarray[Any, Any]:
    key = id(train)
    if key not in _CACHE:
        _CACHE[key] = engine.embedder.embed([p.reply for p in train])
    return _CACHE[key]  # type: ignore[no-any-return]


def _generic(engine: Any, train: Sequence[Pair]) -> str:
    vectors = _train_reply_vectors(engine, train)
    centre = vectors.mean(axis=0)
    from smartinbox.ai.placeholders import fill_placeholders

    # Filled like every suggestion, so that the generic reply shows no braces either.
    return fill_placeholders(train[int(np.argmax(vectors @ centre))].reply, {}).text


def _best_in_memory(engine: Any, train: Sequence[Pair], real: np.ndarray[Any, Any]) -> dict[str, Any]:  # fmt: skip
    vectors = _train_reply_vectors(engine, train)
    best = (real @ vectors.T).max(axis=1)
    return {
        "mean_similarity": round(float(best.mean()), 4),
        "acceptance": round(float((best >= ACCEPT_AT).mean()), 4),
    }


def replay_calibration(
    engine: Any, train: Sequence[Pair], test: dict[str, Any], limit: int, target: float
) -> dict[str, Any]:
    """A calibration fitted on a replay of the training pairs alone (smartinbox/ai/
    reply_replay.py: 3 folds by conversation), and the auto-snooze threshold for `target`
    precision chosen on that replay; both measured on the test split."""
    from smartinbox.ai.engine import HistoryTurn
    from smartinbox.ai.metrics import reliability
    from smartinbox.ai.reply_replay import (
        ReplayPair,
        fit_from_replay,
        replay,
        snooze_threshold_for_precision,
    )

    started = time.perf_counter()
    pairs = [
        ReplayPair(p.key, p.message, p.reply, tuple(HistoryTurn(r, t) for r, t in p.history))
        for p in train
    ]
    outcomes = replay(engine, pairs, limit=limit)
    curve = fit_from_replay(outcomes)
    out: dict[str, Any] = {
        "replayed_pairs": len(outcomes.accepted),
        "replay_acceptance": round(sum(outcomes.accepted) / max(1, len(outcomes.accepted)), 4),
        "test_ece_before": reliability(test["_confidence"], test["_accepted"])["ece"],
    }
    if curve is None:
        out["skipped"] = "too few accepted and rejected replay outcomes"
        return out
    calibrated = [curve.apply(c) for c in test["_confidence"]]
    out["method"] = curve.method
    out["test_ece_after"] = reliability(calibrated, test["_accepted"])["ece"]
    choice = snooze_threshold_for_precision(
        [curve.apply(c) for c in outcomes.confidence], outcomes.accepted, target
    )
    out["auto_snooze"] = {"chosen_on_replay": choice}
    if choice["threshold"] is not None:
        kept = [
            a
            for c, a in zip(calibrated, test["_accepted"], strict=True)
            if c >= choice["threshold"]
        ]
        out["auto_snooze"]["test"] = {
            "kept": len(kept),
            "kept_share": round(len(kept) / len(calibrated), 4),
            "precision": round(sum(kept) / len(kept), 4) if kept else None,
        }
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def template_corpus(templates: Sequence[str], seed: int = 0) -> dict[str, Any]:
    """Every template filled twice: with no values, and from a generated message that gives
    an order number and an amount."""
    from smartinbox.ai.placeholders import extract_entities, fill_placeholders
    from smartinbox.ai.reply_checks import grammar_problems, without_requests_for_given

    rnd = random.Random(seed)
    failures, braces, checked = 0, 0, 0
    examples: list[dict[str, Any]] = []
    for template in templates:
        message = rnd.choice([
            "Hello, I need help with this.",
            f"My order {GENERATED_VALUES['order']} has not arrived, I paid {GENERATED_VALUES['amount']}.",
            f"Invoice {GENERATED_VALUES['invoice']} looks wrong.",
        ])  # fmt: skip
        for entities in ({}, extract_entities(message)):
            # As the engine writes a suggestion: filled, without asking for a value given.
            text = without_requests_for_given(fill_placeholders(template, entities).text, message)
            problems = grammar_problems(text, message if entities else "")
            checked += 1
            braces += int("{" in text or "}" in text)
            if problems:
                failures += 1
                if len(examples) < 5:
                    examples.append({"text": text[:200], "problems": problems})
    return {"fills": checked, "grammar_failures": failures, "braces": braces, "examples": examples}


def run_dataset(
    engine: Any, splits: dict[str, list[Pair]], bitext: bool, replay_limit: int, target: float
) -> dict[str, Any]:
    started = time.perf_counter()
    fill_memory(engine, splits["train"], bitext)
    approved = approved_values(splits["train"])
    dev = evaluate_split(engine, splits["dev"], splits["train"], approved)
    test = evaluate_split(engine, splits["test"], splits["train"], approved)
    out = {
        "train_pairs": len(splits["train"]),
        "memory_entries": len(engine.memory),
        "dev": dev,
        "test": test,
        "calibration_fitted_on_train_replay": replay_calibration(
            engine, splits["train"], test, replay_limit, target
        ),
        "template_corpus": template_corpus(shipped_templates(engine)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    for split in (dev, test):
        split.pop("_confidence")
        split.pop("_accepted")
    return out


def table(result: dict[str, Any]) -> str:
    lines = [f"{'data/split':<14} {'method':<18} {'sim':>6} {'accept':>7} {'leaks':>6} {'gram':>5} {'ECE':>6} {'abst':>6}"]  # fmt: skip
    for name in ("cucom", "bitext"):
        if name not in result:
            continue
        for split in ("dev", "test"):
            block = result[name][split]
            for method in ("engine", "nearest_neighbour", "generic", "best_in_memory"):
                m = block[method]
                lines.append(
                    f"{name + '/' + split:<14} {method:<18} {m['mean_similarity']:>6.3f} "
                    f"{m['acceptance']:>7.3f} {m.get('leaks', ''):>6} "
                    f"{m.get('grammar_failures', ''):>5} {m.get('ece', ''):>6} "
                    f"{m.get('abstention_rate', ''):>6}"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small sample of both sets")
    parser.add_argument("--conversations", type=int, default=None)
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--only", choices=["cucom", "bitext"], default=None)
    parser.add_argument("--target-precision", type=float, default=0.8)
    parser.add_argument("--bitext-step", type=int, default=None, help="every Nth Bitext row")
    args = parser.parse_args()
    from smartinbox.config import get_settings

    models = args.models or get_settings().resolved_models_dir()
    # The default run is sized to take under ten minutes on two shared cores.
    conversations = args.conversations or (250 if args.quick else 600)
    replay_limit = 600 if args.quick else 1000
    bitext_step = args.bitext_step or (4 if args.quick else 2)
    engine = load_engine(models)
    shipped = template_corpus(shipped_templates(engine))
    result: dict[str, Any] = {
        "benchmark": "reply_quality",
        "machine": machine(),
        "params": {
            "bitext_step": bitext_step,
            "replay_limit": replay_limit,
            "quick": args.quick,
            "conversations": conversations,
            "accept_at": ACCEPT_AT,
            "models": str(models),
            "engine_version": engine.version,
        },
        "shipped_memory_templates": shipped,
    }
    if args.only in (None, "cucom"):
        result["cucom"] = run_dataset(
            engine, cucom_pairs(conversations), False, replay_limit, args.target_precision
        )
    if args.only in (None, "bitext"):
        engine = load_engine(models)
        result["bitext"] = run_dataset(
            engine, bitext_pairs(bitext_step), True, replay_limit, args.target_precision
        )
    write_result("reply_quality" + ("_quick" if args.quick else ""), result)
    print(table(result))


if __name__ == "__main__":
    main()
