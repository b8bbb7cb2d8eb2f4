"""Remembering through a vector cache: what was embedded once is read back, never mixed up."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from smartinbox.ai.embedder import DIMENSIONS, MiniLMEmbedder
from smartinbox.ai.engine import CachedVector, MemoryItem, MessageInput
from smartinbox.ai.providers.local import LocalEngine
from smartinbox.ai.training import load_local_engine

QUESTION = "Where is my parcel? It should have arrived on Monday."
REPLY = "Sorry for the wait: your parcel left our warehouse today and arrives tomorrow."


class DictCache:
    """A VectorCache in a dict, counting what it was asked."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], CachedVector] = {}
        self.loads = 0

    def load(self, fingerprint: str, keys: Sequence[str]) -> dict[str, CachedVector]:
        self.loads += 1
        return {k: self.rows[(fingerprint, k)] for k in keys if (fingerprint, k) in self.rows}

    def store(self, fingerprint: str, rows: dict[str, CachedVector]) -> None:
        self.rows.update({(fingerprint, k): v for k, v in rows.items()})


class BrokenCache:
    def load(self, fingerprint: str, keys: Sequence[str]) -> dict[str, CachedVector]:
        raise OSError("database unreachable")

    def store(self, fingerprint: str, rows: dict[str, CachedVector]) -> None:
        raise OSError("database unreachable")


def _engine(models_path: Path, embedder: MiniLMEmbedder, cache: object) -> LocalEngine:
    engine = load_local_engine(models_path, embedder=embedder)
    engine.use_vector_cache(cache)  # type: ignore[arg-type]
    return engine


def _item(ref: str = "message:1") -> MemoryItem:
    return MemoryItem(QUESTION, REPLY, "agent_reply", ref)


def test_a_second_engine_reads_the_vector_instead_of_embedding(
    models_path: Path, embedder: MiniLMEmbedder, embedded_texts: list[str]
) -> None:
    cache = DictCache()
    first = _engine(models_path, embedder, cache)
    first.remember([_item()])
    assert embedded_texts == [QUESTION]
    ((_, stored),) = cache.rows.items()
    vector = np.frombuffer(stored.vector, dtype="<f4")
    np.testing.assert_allclose(vector, embedder.embed([QUESTION])[0], atol=1e-6)
    assert stored.topic == first.triage_model.topics([QUESTION], embedder.features([QUESTION]))[0]

    embedded_texts.clear()
    second = _engine(models_path, embedder, cache)
    second.remember([_item()])
    assert embedded_texts == []  # read back, not embedded
    suggestion = second.suggest(MessageInput("My parcel should have arrived Monday, where is it?"),
                                second.analyze([MessageInput(QUESTION)])[0])  # fmt: skip
    assert suggestion.text == REPLY
    found = second.memory.search(vector, k=1)[0]
    assert found.entry.ref_id == "message:1" and found.entry.topic == stored.topic


def test_vectors_of_other_models_are_not_used(
    models_path: Path, embedder: MiniLMEmbedder, embedded_texts: list[str]
) -> None:
    cache = DictCache()
    first = _engine(models_path, embedder, cache)
    first.remember([_item()])
    other = load_local_engine(models_path, embedder=embedder)
    other.fingerprint = "another-models-folder"
    other.use_vector_cache(cache)
    embedded_texts.clear()
    other.remember([_item()])
    assert embedded_texts == [QUESTION]
    assert {fp for fp, _ in cache.rows} == {first.fingerprint, "another-models-folder"}


def test_a_damaged_cached_vector_is_computed_again(
    models_path: Path, embedder: MiniLMEmbedder, embedded_texts: list[str]
) -> None:
    cache = DictCache()
    engine = _engine(models_path, embedder, cache)
    engine.remember([_item()])
    key = next(iter(cache.rows))
    good = cache.rows[key]
    cache.rows[key] = CachedVector(b"\x00" * 12, "billing")  # not 384 floats
    embedded_texts.clear()
    again = _engine(models_path, embedder, cache)
    again.remember([_item()])
    assert embedded_texts == [QUESTION]
    # The row is replaced by the recomputed vector and topic.
    repaired = cache.rows[key]
    assert len(np.frombuffer(repaired.vector, dtype="<f4")) == DIMENSIONS
    np.testing.assert_allclose(
        np.frombuffer(repaired.vector, dtype="<f4"),
        np.frombuffer(good.vector, dtype="<f4"),
        atol=1e-6,
    )
    assert repaired.topic == good.topic
    assert len(again.memory) == len(engine.memory)


def test_remembering_works_when_the_cache_fails(
    models_path: Path, embedder: MiniLMEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    engine = _engine(models_path, embedder, BrokenCache())
    before = len(engine.memory)
    engine.remember([_item()])
    assert len(engine.memory) == before + 1
    assert "vector cache unreadable" in caplog.text
    assert "not cached" in caplog.text


def test_models_folders_have_distinct_fingerprints() -> None:
    from smartinbox.ai.training import models_fingerprint

    manifest = {"version": "a", "files": {"heads.npz": "1"}}
    assert models_fingerprint(manifest) == models_fingerprint(dict(reversed(manifest.items())))
    assert models_fingerprint(manifest) != models_fingerprint({**manifest, "version": "b"})
