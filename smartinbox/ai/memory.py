"""The reply memory: customer messages with a known good reply, searched by meaning.

Vectors are L2-normalised, so cosine similarity is one matrix-vector product over the whole
memory. Growing arrays double in capacity, so `remember()` stays cheap one item at a time.
A newly remembered message that is a near-duplicate of an older one supersedes it: the latest
agent decision about the same question is the one to repeat.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]

# Cosine similarity above which two customer messages count as the same question. Paraphrases
# score ~0.7-0.9 with MiniLM; only re-wordings of one sentence reach this.
NEAR_DUPLICATE = 0.95
# Queries per matrix product in `search_many`: bounds the similarity matrix to 256 x memory.
SEARCH_BLOCK = 256


@dataclass(frozen=True)
class StoredReply:
    message: str
    reply: str  # as written, shown as evidence
    template: str  # the reply with the original customer's values turned into placeholders
    source: str
    ref_id: str | None
    topic: str


@dataclass(frozen=True)
class Neighbour:
    entry: StoredReply
    similarity: float
    position: int  # insertion order; higher is newer
    score: float = 0.0  # the similarity plus the topic's bonus: what the search ranked by


class ReplyMemory:
    def __init__(self, dimensions: int) -> None:
        self._dimensions = dimensions
        self._vectors = np.zeros((0, dimensions), dtype=np.float32)
        self._active = np.zeros(0, dtype=bool)
        # Each entry's topic as a small integer, so a search can favour one topic in one step.
        self._topics = np.zeros(0, dtype=np.int32)
        self._topic_ids: dict[str, int] = {}
        self._entries: list[StoredReply] = []
        self._size = 0
        self._lock = threading.RLock()

    def __len__(self) -> int:
        with self._lock:
            return int(self._active[: self._size].sum())

    @property
    def total(self) -> int:
        """Entries ever stored, superseded ones included."""
        return self._size

    def add(
        self, entries: Sequence[StoredReply], vectors: FloatMatrix, supersede: bool = True
    ) -> None:
        if len(entries) != len(vectors):
            raise ValueError("one vector per entry is required")
        if not entries:
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        with self._lock:
            if self._size == 0 and not supersede and vectors.flags.c_contiguous:
                # Loading a whole memory: keep the caller's array instead of copying it; at
                # 100,000 replies a copy is 150 MB more at the peak of a process's start.
                self._vectors = vectors
                self._active = np.ones(len(entries), dtype=bool)
                self._topics = np.array(
                    [self._topic_ids.setdefault(e.topic, len(self._topic_ids)) for e in entries],
                    dtype=np.int32,
                )
                self._entries = list(entries)
                self._size = len(entries)
                return
            if supersede:
                self._supersede(vectors)
            self._reserve(self._size + len(entries))
            end = self._size + len(entries)
            self._vectors[self._size : end] = vectors
            self._active[self._size : end] = True
            self._topics[self._size : end] = [
                self._topic_ids.setdefault(e.topic, len(self._topic_ids)) for e in entries
            ]
            if supersede and len(entries) > 1:
                # Within one batch, a later item also wins over an earlier near-duplicate.
                within = vectors @ vectors.T
                older = np.triu(within >= NEAR_DUPLICATE, k=1).any(axis=1)
                self._active[self._size : end] &= ~older
            self._entries.extend(entries)
            self._size = end

    def _supersede(self, vectors: FloatMatrix) -> None:
        if self._size == 0:
            return
        sims = self._vectors[: self._size] @ vectors.T
        duplicate = (sims >= NEAR_DUPLICATE).any(axis=1)
        self._active[: self._size] &= ~duplicate

    def _reserve(self, needed: int) -> None:
        capacity = len(self._vectors)
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2, 256)
        vectors = np.zeros((new_capacity, self._dimensions), dtype=np.float32)
        vectors[: self._size] = self._vectors[: self._size]
        active = np.zeros(new_capacity, dtype=bool)
        active[: self._size] = self._active[: self._size]
        topics = np.zeros(new_capacity, dtype=np.int32)
        topics[: self._size] = self._topics[: self._size]
        self._vectors, self._active, self._topics = vectors, active, topics

    def search(
        self, vector: FloatMatrix, k: int = 5, topic_bonus: Mapping[str, float] | None = None
    ) -> list[Neighbour]:
        """The k entries most similar to `vector`. With `topic_bonus`, an entry filed under a
        topic it names ranks as if that much more similar (see providers/local.py)."""
        with self._lock:
            if self._size == 0:
                return []
            sims = self._vectors[: self._size] @ np.asarray(vector, dtype=np.float32)
            scores = np.where(self._active[: self._size], sims, -np.inf)
            if topic_bonus:
                scores = scores + self._bonus_matrix([topic_bonus])[0][self._topics[: self._size]]
            k = min(k, self._size)
            top = np.argpartition(-scores, k - 1)[:k]
            # Equal score: the newer entry first.
            order = sorted(top.tolist(), key=lambda i: (-float(scores[i]), -i))
            return [
                Neighbour(self._entries[i], float(sims[i]), i, float(scores[i]))
                for i in order
                if np.isfinite(scores[i])
            ]

    def search_many(
        self,
        vectors: FloatMatrix,
        k: int = 5,
        topic_bonus: Sequence[Mapping[str, float]] | None = None,
    ) -> list[list[Neighbour]]:
        """`search` for each row of `vectors` (with that row's `topic_bonus`), in one matrix
        product per block of queries."""
        queries = np.asarray(vectors, dtype=np.float32).reshape(-1, self._dimensions)
        out: list[list[Neighbour]] = []
        with self._lock:
            if self._size == 0:
                return [[] for _ in range(len(queries))]
            k = min(k, self._size)
            stored, active = self._vectors[: self._size], self._active[: self._size]
            topics = self._topics[: self._size]
            for start in range(0, len(queries), SEARCH_BLOCK):
                sims = queries[start : start + SEARCH_BLOCK] @ stored.T
                scores = np.where(active, sims, -np.inf)
                if topic_bonus:
                    block = topic_bonus[start : start + SEARCH_BLOCK]
                    scores = scores + self._bonus_matrix(block)[:, topics]
                tops = np.argpartition(-scores, k - 1, axis=1)[:, :k]
                for row, score, top in zip(sims, scores, tops, strict=True):
                    order = sorted(top.tolist(), key=lambda i: (-float(score[i]), -i))
                    out.append([
                        Neighbour(self._entries[i], float(row[i]), i, float(score[i]))
                        for i in order
                        if np.isfinite(score[i])
                    ])  # fmt: skip
        return out

    def _bonus_matrix(self, bonuses: Sequence[Mapping[str, float]]) -> FloatMatrix:
        """One row per query, one column per known topic id (plus a spare zero column)."""
        matrix = np.zeros((len(bonuses), len(self._topic_ids) + 1), dtype=np.float32)
        for row, bonus in enumerate(bonuses):
            for topic, value in bonus.items():
                topic_id = self._topic_ids.get(topic)
                if topic_id is not None:
                    matrix[row, topic_id] = value
        return matrix

    def snapshot(self) -> tuple[FloatMatrix, npt.NDArray[np.bool_], list[StoredReply]]:
        with self._lock:
            return (
                self._vectors[: self._size].copy(),
                self._active[: self._size].copy(),
                list(self._entries),
            )
