"""The database vector cache: vectors read back per engine, replaced when damaged, and sets no
process uses any more deleted."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import func, select, update

from smartinbox.ai.engine import CachedVector
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import MemoryVector, MemoryVectorSet
from smartinbox.versions import vector_cache
from smartinbox.versions.vector_cache import DatabaseVectorCache
from tests.conftest import Env


def _vector(seed: int) -> bytes:
    return np.random.default_rng(seed).standard_normal(384).astype("<f4").tobytes()


def test_vectors_are_read_back_per_fingerprint(env: Env) -> None:
    cache = DatabaseVectorCache(env.settings)
    cache.store("models-a", {"k1": CachedVector(_vector(1), "billing"),
                             "k2": CachedVector(_vector(2), "shipping")})  # fmt: skip
    cache.store("models-b", {"k1": CachedVector(_vector(3), "orders")})
    got = cache.load("models-a", ["k1", "k2", "unknown"])
    assert set(got) == {"k1", "k2"}
    assert got["k1"] == CachedVector(_vector(1), "billing")
    assert cache.load("models-b", ["k1"])["k1"].topic == "orders"
    assert cache.load("models-c", ["k1"]) == {}


def test_storing_a_key_again_replaces_its_row(env: Env) -> None:
    cache = DatabaseVectorCache(env.settings)
    cache.store("models-a", {"k1": CachedVector(b"\x00" * 8, "billing")})
    cache.store("models-a", {"k1": CachedVector(_vector(1), "account")})
    assert cache.load("models-a", ["k1"])["k1"] == CachedVector(_vector(1), "account")
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(MemoryVector)) == 1


def test_many_keys_are_read_in_chunks(env: Env) -> None:
    cache = DatabaseVectorCache(env.settings)
    rows = {f"k{n}": CachedVector(_vector(n), "billing") for n in range(1_200)}
    cache.store("models-a", rows)
    assert cache.load("models-a", sorted(rows)) == rows


def test_sets_unused_for_a_month_are_deleted_when_an_engine_opens_the_cache(env: Env) -> None:
    cache = DatabaseVectorCache(env.settings)
    cache.store("old-models", {"k1": CachedVector(_vector(1), "billing")})
    cache.store("recent-models", {"k1": CachedVector(_vector(2), "billing")})
    with env.session() as s:
        s.execute(
            update(MemoryVectorSet)
            .where(MemoryVectorSet.fingerprint == "old-models")
            .values(last_used_at=utcnow() - timedelta(days=vector_cache.UNUSED_DAYS + 1))
        )
        s.execute(
            update(MemoryVectorSet)
            .where(MemoryVectorSet.fingerprint == "recent-models")
            .values(last_used_at=utcnow() - timedelta(days=vector_cache.UNUSED_DAYS - 1))
        )
    vector_cache.forget_opened()  # a new process
    cache.load("current-models", ["k1"])
    with env.session() as s:
        sets = set(s.scalars(select(MemoryVectorSet.fingerprint)))
        kept = set(s.scalars(select(MemoryVector.fingerprint)))
    assert sets == {"recent-models", "current-models"}
    assert kept == {"recent-models"}
