"""Engine-level targets for benchmarks/engine_targets.py: instant learning, calibration,
throughput, and CLINC150 out-of-scope detection through live triage.

Each uses the trained local engine (the models in SMARTINBOX_MODELS_DIR, trained first if there
are none) with its reply memory emptied, so only what the measure puts in it can be retrieved.
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path
from typing import Any

from smartinbox.ai.calibration import fit_calibration
from smartinbox.ai.embedder import DIMENSIONS, MiniLMEmbedder
from smartinbox.ai.engine import MemoryItem, MessageInput
from smartinbox.ai.memory import ReplyMemory
from smartinbox.ai.metrics import reliability
from smartinbox.ai.providers.local import LocalEngine
from smartinbox.ai.triage import TriageModel


def empty_engine(embedder: MiniLMEmbedder) -> LocalEngine:
    from smartinbox.ai.training import ensure_models, load_local_engine
    from smartinbox.config import get_settings

    models = get_settings().resolved_models_dir()
    ensure_models(models)
    engine = load_local_engine(models, embedder=embedder)
    engine.memory = ReplyMemory(DIMENSIONS)
    engine.calibration = None
    return engine


def instant_learning(
    data: dict[str, Any], embedder: MiniLMEmbedder, quick: bool, team_head: Any = None
) -> dict[str, Any]:
    """One agent reply per CLINC150 intent; do that intent's test utterances get it back?

    Measured twice: with the shipped taxonomy (retrieval by similarity alone, since CLINC150's
    intents are not among its topics), and, when `team_head` is given, with a team taxonomy of
    the 150 intents trained on CLINC150's train split, as `smartinbox train triage --field
    topic` would install it: the remembered replies are then filed under the intent the head
    gives their message, and the topic counts in retrieval.
    """
    first: dict[str, str] = {}
    for text, intent in data["train"]:
        first.setdefault(intent, text)
    tests = [(t, i) for t, i in data["test"] if i in first]
    if quick:
        tests = tests[::10]
    out: dict[str, Any] = {"remembered": len(first), "queries": len(tests)}
    scenarios = [("shipped_taxonomy", None)]
    if team_head is not None:
        scenarios.append(("team_taxonomy", team_head))
    for name, head in scenarios:
        engine = empty_engine(embedder)
        if head is not None:
            base = engine.triage_model
            engine.triage_model = TriageModel(
                base.featurizer, base.heads, base.language, custom={"topic": head}
            )
        engine.remember(
            [MemoryItem(message=t, reply=f"Reply for {i}.", source="agent_reply", ref_id=i)
             for i, t in first.items()]
        )  # fmt: skip
        triages = engine.analyze([MessageInput(t) for t, _ in tests])
        hits = 0
        for (text, intent), triage in zip(tests, triages, strict=True):
            suggestion = engine.suggest(MessageInput(text), triage)
            hits += int(bool(suggestion.evidence) and suggestion.evidence[0].ref_id == intent)
        out[name] = round(hits / len(tests), 4)
    out["accuracy"] = out.get("team_taxonomy", out["shipped_taxonomy"])
    return out


def live_out_of_scope(
    data: dict[str, Any], embedder: MiniLMEmbedder, head: Any, quick: bool
) -> dict[str, Any]:
    """CLINC150's test split through the engine's own triage, with the team head `head`
    installed as `smartinbox train triage --oos-label oos --val` installs it (its scope score
    and threshold): the share of out-of-scope requests flagged, and of in-scope ones filed
    under their intent and not flagged. Live triage also files a message it calls spam under
    `other`."""
    rows = [(t, i) for t, i in data["test"] + data["oos_test"]]
    if quick:
        rows = rows[::10]
    engine = empty_engine(embedder)
    base = engine.triage_model
    engine.triage_model = TriageModel(
        base.featurizer, base.heads, base.language, custom={"topic": head}
    )
    triages = engine.analyze([MessageInput(t) for t, _ in rows])
    flagged = [t.out_of_scope for t in triages]
    oos = [f for f, (_, i) in zip(flagged, rows, strict=True) if i == "oos"]
    inside = [
        not t.out_of_scope and t.topic == i
        for t, (_, i) in zip(triages, rows, strict=True)
        if i != "oos"
    ]
    spam = sum(t.kind == "spam" for t, (_, i) in zip(triages, rows, strict=True) if i != "oos")
    return {
        "threshold": head.oos_threshold,
        "oos_recall": round(sum(oos) / len(oos), 4),
        "in_scope_accuracy": round(sum(inside) / len(inside), 4),
        "in_scope_called_spam": spam,
        "rows": len(rows),
    }


def calibration_figures(data_dir: Path, embedder: MiniLMEmbedder, quick: bool) -> dict[str, Any]:
    """ECE of the suggestion confidence against acceptance on held-out requests.

    The memory holds Bitext's training split (80%, stratified by intent); a held-out request's
    suggestion counts as accepted when the reply it used answers the same intent. CLINC150's
    out-of-scope test requests are rejections (nothing stored answers them). The held-out
    outcomes are split in two: the prior is measured on both; the calibration fitted on one half
    is measured on the other.
    """
    import json

    from sklearn.model_selection import train_test_split

    path = data_dir / "bitext-customer-support" / "bitext_customer_support_4514.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if quick:
        rows = rows[::4]
    train, test = train_test_split(
        list(range(len(rows))), test_size=0.2, random_state=0, stratify=[r["intent"] for r in rows]
    )
    engine = empty_engine(embedder)
    engine.remember(
        [MemoryItem(rows[i]["instruction"], rows[i]["response"], "history", str(i),
                    rows[i]["category"].lower()) for i in train]
    )  # fmt: skip
    clinc = json.loads((data_dir / "clinc150-oos" / "data_full.json").read_text())
    oos = [t for t, _ in clinc["oos_test"]][: 100 if quick else 400]
    queries = [(rows[i]["instruction"], rows[i]["intent"]) for i in test] + [(t, "") for t in oos]
    triages = engine.analyze([MessageInput(t) for t, _ in queries])
    confidence, accepted = [], []
    for (text, intent), triage in zip(queries, triages, strict=True):
        s = engine.suggest(MessageInput(text), triage)
        used = s.evidence[0].ref_id if s.evidence else None
        confidence.append(s.confidence)
        accepted.append(
            int(bool(intent) and used is not None and rows[int(used)]["intent"] == intent)
        )
    order = list(range(len(queries)))
    random.Random(0).shuffle(order)
    fit_half, eval_half = order[: len(order) // 2], order[len(order) // 2 :]
    curve = fit_calibration([confidence[i] for i in fit_half], [accepted[i] for i in fit_half])
    calibrated = [curve.apply(confidence[i]) for i in eval_half]
    return {
        "queries": len(queries),
        "acceptance_rate": round(sum(accepted) / len(accepted), 4),
        "prior": reliability(confidence, accepted),
        "prior_on_eval_half_ece": reliability(
            [confidence[i] for i in eval_half], [accepted[i] for i in eval_half]
        )["ece"],
        "calibrated_on_eval_half": reliability(calibrated, [accepted[i] for i in eval_half]),
        "method": curve.method,
    }


REPEATS = 5


def throughput(data: dict[str, Any], embedder: MiniLMEmbedder, quick: bool) -> dict[str, Any]:
    """Batch triage (every head, language included) against embedding the same texts alone."""
    engine = empty_engine(embedder)
    texts = [t for t, _ in data["test"]][: 300 if quick else 2000]
    messages = [MessageInput(t) for t in texts]
    engine.analyze(messages[:64])
    embedder.embed(texts[:64])

    def timed(fn: Any) -> float:
        embedder.clear_cache()  # time the model, not the cache of recent vectors
        started = time.perf_counter()
        for start in range(0, len(texts), 256):
            fn(start)
            embedder.clear_cache()
        return time.perf_counter() - started

    # Alternating passes, the fastest of each kind: a shared machine's slow moments fall on
    # both sides instead of on whichever happened to run then.
    triage_s, embed_s = [], []
    for _ in range(REPEATS):
        triage_s.append(timed(lambda s: engine.analyze(messages[s : s + 256])))
        embed_s.append(timed(lambda s: embedder.embed(texts[s : s + 256])))
    triage_rate, embed_rate = len(texts) / min(triage_s), len(texts) / min(embed_s)
    return {
        "messages": len(texts),
        "triage_per_s": round(triage_rate, 1),
        "embedding_only_per_s": round(embed_rate, 1),
        "ratio": round(triage_rate / embed_rate, 3),
    }
