"""The starting reply memory (Bitext's request/reply pairs) and its acceptance calibration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from smartinbox.ai.confidence import AcceptanceModel, fit_acceptance, retrieval_features
from smartinbox.ai.corpus import BitextRow, bitext_rows
from smartinbox.ai.evaluation import PreparedCorpus
from smartinbox.ai.memory import ReplyMemory, StoredReply
from smartinbox.ai.metrics import auc
from smartinbox.ai.placeholders import extract_entities, templatize

# Bitext's entity columns name the value each request carries; these kinds are customer data
# that must not travel from one conversation to another.
_ENTITY_KINDS = {
    "order_id": "order",
    "invoice_id": "invoice",
    "person_name": "person",
    "account_type": "account_type",
    "delivery_city": "city",
    "delivery_country": "country",
}
NEIGHBOURS = 5
SEED_SOURCE = "seed"


def account_types(rows: Sequence[BitextRow]) -> list[str]:
    """Plan names customers mention ("Gold", "Pro"), learned from the labelled entities."""
    names = {r.entity_value.strip() for r in rows if r.entity_type == "account_type"}
    return sorted((n for n in names if n), key=lambda n: (-len(n), n))


def seed_entry(row: BitextRow, ref: str, types: Sequence[str]) -> StoredReply:
    values = extract_entities(row.instruction, types)
    kind = _ENTITY_KINDS.get(row.entity_type)
    if kind and row.entity_value.strip():
        values.setdefault(kind, row.entity_value.strip())
    template = templatize(row.response, values, row.instruction)
    return StoredReply(
        message=row.instruction,
        reply=row.response,
        template=template,
        source=SEED_SOURCE,
        ref_id=ref,
        topic=row.category.lower(),
    )


def seed_positions(prepared: PreparedCorpus, indices: Sequence[int]) -> list[int]:
    return [i for i in indices if prepared.rows[i].source == "bitext"]


def build_memory(prepared: PreparedCorpus, indices: Sequence[int]) -> ReplyMemory:
    source = bitext_rows()
    types = account_types(source)
    positions = seed_positions(prepared, indices)
    entries = []
    for i in positions:
        ref = prepared.rows[i].ref
        entries.append(seed_entry(source[int(ref.split(":")[1])], ref, types))
    memory = ReplyMemory(prepared.vectors.shape[1])
    # Bitext holds several good replies per request wording; all of them stay retrievable.
    memory.add(entries, prepared.vectors[positions], supersede=False)
    return memory


def calibrate(prepared: PreparedCorpus) -> tuple[AcceptanceModel, dict[str, Any]]:
    """Fit the acceptance mapping on held-out requests against a memory of training requests.

    A held-out support request counts as "accepted" when its nearest stored request has the
    same Bitext intent; a held-out out-of-scope request (CLINC150) counts as "rejected", since
    no stored reply answers it.
    """
    source = bitext_rows()
    memory = build_memory(prepared, prepared.train)
    intents = {f"bitext:{n}": row.intent for n, row in enumerate(source)}
    features: list[list[float]] = []
    accepted: list[int] = []
    topic_hits = 0
    support_hits: list[int] = []
    for i in prepared.test:
        row = prepared.rows[i]
        if row.source not in ("bitext", "clinc") or (
            row.source == "clinc" and not row.out_of_scope
        ):
            continue
        neighbours = memory.search(prepared.vectors[i], NEIGHBOURS)
        if not neighbours:
            continue
        features.append(retrieval_features(neighbours[0], neighbours))
        if row.source == "bitext":
            top_ref = neighbours[0].entry.ref_id or ""
            support_hits.append(int(intents.get(top_ref) == intents[row.ref]))
            accepted.append(support_hits[-1])
            topic_hits += int(neighbours[0].entry.topic == row.topic)
        else:
            accepted.append(0)
    x = np.array(features, dtype=np.float64)
    y = np.array(accepted, dtype=np.int_)
    model = fit_acceptance(x, y)
    predicted = _cross_validated(x, y)
    support = len(support_hits)
    metrics = {
        "queries": len(y),
        "support_queries": support,
        "top1_intent_accuracy": round(sum(support_hits) / support, 4) if support else 0.0,
        "top1_topic_accuracy": round(topic_hits / support, 4) if support else 0.0,
        "brier": round(float(np.mean((predicted - y) ** 2)), 4),
        "auc": round(_auc(predicted, y), 4),
    }
    return model, metrics


def _cross_validated(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Out-of-fold probabilities, so the reported Brier score and AUC are not in-sample."""
    from sklearn.model_selection import StratifiedKFold

    out = np.zeros(len(y), dtype=np.float64)
    if min(int(y.sum()), int(len(y) - y.sum())) < 5:
        return np.full(len(y), float(y.mean()) if len(y) else 0.0)
    for fit_idx, held_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        fold = fit_acceptance(x[fit_idx], y[fit_idx])
        out[held_idx] = [fold.probability(list(row)) for row in x[held_idx]]
    return out


def _auc(scores: np.ndarray[Any, Any], labels: np.ndarray[Any, Any]) -> float:
    value = auc(scores.tolist(), labels.tolist())
    return 0.5 if value is None else value
