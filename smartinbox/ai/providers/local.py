"""The offline engine: trained triage heads plus a reply memory searched by MiniLM vectors."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from smartinbox.ai.calibration import Calibration
from smartinbox.ai.confidence import AcceptanceModel, retrieval_features
from smartinbox.ai.embedder import DIMENSIONS, FloatMatrix, MiniLMEmbedder
from smartinbox.ai.engine import (
    CachedVector,
    Evidence,
    MemoryItem,
    MessageInput,
    Suggestion,
    Triage,
    VectorCache,
)
from smartinbox.ai.memory import Neighbour, ReplyMemory, StoredReply
from smartinbox.ai.placeholders import extract_entities, fill_placeholders, templatize
from smartinbox.ai.reply_checks import without_requests_for_given
from smartinbox.ai.reply_choice import CANDIDATES, NO_CONFIDENT, choose
from smartinbox.ai.triage import TriageModel
from smartinbox.kit.text import normalise, strip_control

log = logging.getLogger(__name__)

NEIGHBOURS = 5
EVIDENCE = 3
# Among near-equal neighbours, prefer replies an agent wrote or approved over seed replies.
# Small on purpose: similarity still decides between clearly different candidates.
SOURCE_BONUS = {"accepted": 0.03, "agent_reply": 0.03, "history": 0.02, "macro": 0.02}
# Two signals say which stored reply answers a message: how similar the stored message is,
# and how probable the topic head finds the topic the stored message was filed under. The
# second adds TOPIC_WEIGHT x P(topic), so a team's fine-grained taxonomy routes a reworded
# question to the reply an agent gave its intent even when the wording shares little, while
# topics the head doubts change next to nothing. Measured in docs/engine.md.
TOPIC_WEIGHT = 0.5
# Rules layered on the calibrated acceptance probability (see docs/engine.md).
OUT_OF_SCOPE_FACTOR = 0.5
CONTENT_GAP_FACTOR = 0.85
FALLBACK_REPLY = (
    "Thank you for your message. We have received it and will get back to you as soon as we can."
)
FALLBACK_CONFIDENCE = 0.05
# An abstained choice's confidence is at most this: below any auto-snooze threshold.
ABSTAINED_CONFIDENCE = 0.05
# Reply vectors kept for the consensus choice (about 1.5 KB each).
REPLY_VECTOR_CACHE = 50_000
# What a customer asks is at the top of a message; quoted threads and signatures follow. The
# models see the first 2,000 characters (MiniLM reads ~128 tokens, about 500 characters,
# anyway), which bounds analysis time for 64 KB bodies.
MAX_ANALYSED_CHARS = 2000


@dataclass
class ReplyChoice:
    chosen: Neighbour
    neighbours: list[Neighbour]
    abstained: bool = False
    reason: str | None = None


class LocalEngine:
    name = "local"

    def __init__(
        self,
        triage_model: TriageModel,
        memory: ReplyMemory,
        acceptance: AcceptanceModel,
        embedder: MiniLMEmbedder,
        account_types: Sequence[str],
        version: str,
        calibration: Calibration | None = None,
        fingerprint: str = "",
    ) -> None:
        self.triage_model = triage_model
        self.memory = memory
        self.acceptance = acceptance
        self.embedder = embedder
        self.account_types = list(account_types)
        self.version = version
        # Fitted on the team's real accept/replace outcomes when there were enough of them.
        self.calibration = calibration
        # Identifies the models (embedding model and topic head) a remembered vector and topic
        # came from; a vector cache keeps them under it.
        self.fingerprint = fingerprint
        self.vector_cache: VectorCache | None = None
        # Stored replies' sentence vectors by reply text, for the consensus choice.
        self._reply_vectors: dict[str, np.ndarray] = {}

    def analyze(self, messages: Sequence[MessageInput]) -> list[Triage]:
        if not messages:
            return []
        started = time.perf_counter()
        texts = [_clean(m.text) for m in messages]
        embeddings = self.embedder.features(texts) if self.triage_model.needs_embeddings else None
        results = self.triage_model.triage(texts, embeddings, self.version, 0.0)
        # Batches share the cost; each message reports its share of the batch's time.
        per_message = (time.perf_counter() - started) * 1000 / len(texts)
        for result in results:
            result.latency_ms = round(per_message, 3)
        return results

    def suggest(self, message: MessageInput, triage: Triage) -> Suggestion:
        started = time.perf_counter()
        features = self.embedder.features([_clean(message.context_text)])
        bonus = self._topic_bonuses([message], features)[0]
        neighbours = self.memory.search(features[0, :DIMENSIONS], CANDIDATES, bonus)
        return self._suggestion(message, triage, neighbours, started, features[0, :DIMENSIONS])

    def prepare(self, messages: Sequence[MessageInput]) -> None:
        """Embed a batch of messages at once; `analyze` and `suggest` then find the vectors."""
        self.embedder.embed([_clean(m.text) for m in messages])

    def suggest_many(
        self, messages: Sequence[MessageInput], triages: Sequence[Triage]
    ) -> list[Suggestion]:
        """`suggest` for a batch: one embedding call and one memory search for all of them.

        Each suggestion's latency is its share of the batch's embedding and search plus the
        time spent choosing and filling its own reply.
        """
        if not messages:
            return []
        started = time.perf_counter()
        features = self.embedder.features([_clean(m.context_text) for m in messages])
        bonuses = self._topic_bonuses(messages, features)
        found = self.memory.search_many(features[:, :DIMENSIONS], CANDIDATES, bonuses)
        shared_ms = (time.perf_counter() - started) * 1000 / len(messages)
        out = []
        for n, (message, triage, neighbours) in enumerate(
            zip(messages, triages, found, strict=True)
        ):
            suggestion = self._suggestion(
                message, triage, neighbours, time.perf_counter(), features[n, :DIMENSIONS]
            )
            suggestion.latency_ms = round(suggestion.latency_ms + shared_ms, 3)
            out.append(suggestion)
        return out

    def _suggestion(
        self,
        message: MessageInput,
        triage: Triage,
        neighbours: list[Neighbour],
        started: float,
        query: FloatMatrix | None = None,
    ) -> Suggestion:
        if not neighbours:
            return Suggestion(
                text=FALLBACK_REPLY,
                confidence=FALLBACK_CONFIDENCE,
                model=self.version,
                provider=self.name,
                latency_ms=_ms(started),
            )
        choice = self._choose(neighbours, triage, message, query)
        # The acceptance model was fitted on the first NEIGHBOURS of a search.
        neighbours = neighbours[:NEIGHBOURS]
        if choice.chosen not in neighbours:
            neighbours = [*neighbours[:-1], choice.chosen]
        # The latest turn first: its identifiers win over those of earlier turns.
        entity_text = "\n".join([message.text, *reversed(message.earlier_customer_text())])
        entities = extract_entities(entity_text, self.account_types)
        filled = fill_placeholders(choice.chosen.entry.template, entities, message.customer_name)
        filled.text = without_requests_for_given(filled.text, _context(message))
        confidence = self.acceptance.probability(retrieval_features(choice.chosen, neighbours))
        confidence *= 1.0 - triage.spam
        if triage.out_of_scope:
            confidence *= OUT_OF_SCOPE_FACTOR
        confidence *= CONTENT_GAP_FACTOR**filled.content_gaps
        if self.calibration is not None:
            confidence = self.calibration.apply(confidence)
        if choice.abstained:
            confidence = min(confidence, ABSTAINED_CONFIDENCE)
        others = [n for n in neighbours if n.position != choice.chosen.position]
        evidence_rows = [choice.chosen, *others[: EVIDENCE - 1]]
        return Suggestion(
            text=filled.text,
            confidence=round(min(max(confidence, 0.0), 1.0), 4),
            evidence=[
                Evidence(
                    source=n.entry.source,
                    similarity=n.similarity,
                    message=n.entry.message,
                    reply=n.entry.reply,
                    ref_id=n.entry.ref_id,
                )
                for n in evidence_rows
            ],
            model=self.version,
            provider=self.name,
            latency_ms=_ms(started),
            abstained=choice.abstained,
            note=f"{NO_CONFIDENT}: {choice.reason}." if choice.abstained else None,
        )

    def _topic_bonuses(
        self, messages: Sequence[MessageInput], features: FloatMatrix
    ) -> list[dict[str, float]]:
        classes = self.triage_model.heads["topic"].classes
        texts = [_clean(m.text) for m in messages]
        return [
            {c: TOPIC_WEIGHT * float(p) for c, p in zip(classes, row, strict=True) if p > 0.01}
            for row in self.triage_model.topic_proba(texts, features)
        ]

    def _choose(
        self,
        neighbours: list[Neighbour],
        triage: Triage,
        message: MessageInput,
        query: FloatMatrix | None = None,
    ) -> ReplyChoice:
        """The consensus choice among the candidates (see reply_choice.py)."""
        agent_turns = [t.text for t in message.history if t.role == "agent" and t.text.strip()]
        history_vectors = (
            self.embedder.embed([_clean(t) for t in agent_turns[-3:]]) if agent_turns else None
        )
        picked = choose(
            neighbours,
            self._vectors_of_replies,
            message=message.text,
            kind=triage.kind,
            urgency=triage.urgency,
            history=[t.text for t in message.history if t.role != "agent"],
            history_vectors=history_vectors,
            query_vector=query,
            source_bonus=SOURCE_BONUS,
        )
        return ReplyChoice(picked.chosen, neighbours, picked.abstained, picked.reason)

    def _vectors_of_replies(self, neighbours: Sequence[Neighbour]) -> FloatMatrix:
        cache = self._reply_vectors
        missing = sorted({n.entry.reply for n in neighbours if n.entry.reply not in cache})
        if missing:
            if len(cache) + len(missing) > REPLY_VECTOR_CACHE:
                cache.clear()
            for reply, v in zip(
                missing, self.embedder.embed([_clean(r) for r in missing]), strict=True
            ):
                cache[reply] = v
        return np.stack([cache[n.entry.reply] for n in neighbours])

    def use_vector_cache(self, cache: VectorCache | None) -> None:
        self.vector_cache = cache if self.fingerprint else None

    def remember(self, items: Sequence[MemoryItem]) -> None:
        items = [i for i in items if i.message.strip() and i.reply.strip()]
        if not items:
            return
        texts = [_clean(i.message) for i in items]
        vectors, topics = self._memory_vectors(texts)
        entries = [
            StoredReply(
                message=item.message,
                reply=item.reply,
                template=templatize(
                    item.reply, extract_entities(item.message, self.account_types), item.message
                ),
                source=item.source,
                ref_id=item.ref_id,
                topic=item.topic or topics[n],
            )
            for n, item in enumerate(items)
        ]
        self.memory.add(entries, vectors, supersede=True)

    def _memory_vectors(self, texts: Sequence[str]) -> tuple[FloatMatrix, list[str]]:
        """Each text's sentence vector and predicted topic: from the vector cache where it has
        them (a restart does not embed again what it remembered before), computed otherwise."""
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        cached = self._cache_load(keys)
        vectors = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        topics = [""] * len(texts)
        missing = []
        for n, key in enumerate(keys):
            hit = cached.get(key)
            if hit is None or len(hit.vector) != DIMENSIONS * 4:
                missing.append(n)
                continue
            vectors[n] = np.frombuffer(hit.vector, dtype="<f4")
            topics[n] = hit.topic
        if missing:
            features = self.embedder.features([texts[n] for n in missing])
            computed = self.triage_model.topics([texts[n] for n in missing], features)
            fresh = {}
            for row, n in enumerate(missing):
                vectors[n] = features[row, :DIMENSIONS]
                topics[n] = computed[row]
                fresh[keys[n]] = CachedVector(vectors[n].astype("<f4").tobytes(), computed[row])
            self._cache_store(fresh)
        return vectors, topics

    def _cache_load(self, keys: list[str]) -> dict[str, CachedVector]:
        if self.vector_cache is None:
            return {}
        try:
            return self.vector_cache.load(self.fingerprint, sorted(set(keys)))
        except Exception:
            # The cache saves time; without it the messages are embedded as usual.
            log.warning("reply-memory vector cache unreadable; embedding instead", exc_info=True)
            return {}

    def _cache_store(self, rows: dict[str, CachedVector]) -> None:
        if self.vector_cache is None or not rows:
            return
        try:
            self.vector_cache.store(self.fingerprint, rows)
        except Exception:
            log.warning("reply-memory vectors not cached", exc_info=True)


def _context(message: MessageInput) -> str:
    """The message and what the customer said before it: the facts already given."""
    earlier = [t.text for t in message.history if t.role != "agent"]
    return "\n".join([message.text, *earlier])


def _clean(text: str) -> str:
    return normalise(strip_control(text[: MAX_ANALYSED_CHARS * 2]))[:MAX_ANALYSED_CHARS]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
