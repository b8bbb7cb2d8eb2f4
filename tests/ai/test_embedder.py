"""Batched embeddings: the same vector for a text whatever batch it travels in."""

from __future__ import annotations

import numpy as np

from smartinbox.ai import embedder as embedder_module
from smartinbox.ai.embedder import BATCH_TOKENS, MiniLMEmbedder


def test_token_budget_batches_give_the_vectors_of_one_at_a_time(
    embedder: MiniLMEmbedder,
) -> None:
    long_text = " ".join(
        f"The parcel number {n} was late and the refund is missing." for n in range(40)
    )
    texts = ["ok", "Where is my refund?", long_text, "", long_text[:300], "Hoe kan ik betalen?"] * 6
    # Past the token limit only the end differs: the same vector as the unchanged text.
    texts += [long_text + " Your order ORD-12345 is on its way."]
    embedder.clear_cache()
    batched = embedder.embed(texts)
    embedder.clear_cache()
    single = np.stack([embedder.embed([t])[0] for t in texts])
    embedder.clear_cache()
    assert batched.shape == (len(texts), 384)
    assert np.allclose(batched, single, atol=1e-5)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(batched[-1], batched[2])


def test_batches_keep_rows_and_tokens_within_budget() -> None:
    lengths = np.array([128] * 40 + [10] * 100, dtype=np.int64)
    order = sorted(range(len(lengths)), key=lambda n: int(lengths[n]))
    batches = embedder_module._batches(order, lengths, 64)
    assert sorted(n for b in batches for n in b) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 64
        assert len(batch) == 1 or len(batch) * max(lengths[batch]) <= BATCH_TOKENS
    assert max(len(b) for b in batches if lengths[b[0]] == 128) == BATCH_TOKENS // 128


def test_recent_vectors_are_reused_and_the_cache_stays_bounded(embedder: MiniLMEmbedder) -> None:
    cap = embedder_module.CACHE_SIZE
    embedder.clear_cache()
    first = embedder.embed(["Where is my parcel?", "Refund please"])
    calls: list[int] = []
    original = embedder._run

    def counting(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        calls.append(len(ids))
        return original(ids, mask)

    embedder._run = counting  # type: ignore[method-assign]
    try:
        again = embedder.embed(["Refund please", "Where is my parcel?", "A new question"])
        # Only the text not seen before reaches the model; the others keep their vectors.
        assert calls == [1]
        assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])
        embedder.clear_cache()
        embedder.embed(["Refund please"])
        assert calls == [1, 1]
        embedder_module.CACHE_SIZE = 3
        embedder.embed([f"question {n}" for n in range(5)])
        assert len(embedder._cache) == 3
    finally:
        embedder_module.CACHE_SIZE = cap
        embedder._run = original  # type: ignore[method-assign]
        embedder.clear_cache()


def test_triage_features_start_with_the_sentence_vector(embedder: MiniLMEmbedder) -> None:
    texts = ["Where is my refund?", "HELP! My store is down, and it's peak hours!"]
    embedder.clear_cache()
    features = embedder.features(texts)
    vectors = embedder.embed(texts)
    assert features.shape == (2, embedder_module.FEATURE_DIMENSIONS)
    assert np.array_equal(features[:, : embedder_module.DIMENSIONS], vectors)
    blocks = features.reshape(2, len(embedder_module.FEATURE_OUTPUTS), -1)
    # Each pooled layer is its own unit vector, and the lower layers say something else.
    assert np.allclose(np.linalg.norm(blocks, axis=2), 1.0, atol=1e-5)
    assert not np.allclose(blocks[:, 0], blocks[:, 1], atol=0.05)
    assert not np.allclose(blocks[:, 1], blocks[:, 2], atol=0.05)
