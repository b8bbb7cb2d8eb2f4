"""Remembered replies' vectors kept in the database, so no process embeds them twice.

The reply memory lives in each process. When a process starts, or loads a retrained version,
it remembers the replies again (engines.py); with this cache it reads each message's vector
and topic back instead of running the embedding model, which at 100,000 replies saves minutes
of CPU on every start and on every worker machine. Vectors are kept per engine fingerprint (a
hash of its models), so a retrained version never reads vectors another version computed.
Sets that no process has used for `UNUSED_DAYS` are deleted when the next engine is loaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import timedelta

from smartinbox.ai.embedder import DIMENSIONS
from smartinbox.ai.engine import CachedVector, Engine, use_vector_cache
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.kit.timeutil import utcnow
from smartinbox.versions import repository as repo

log = logging.getLogger(__name__)

UNUSED_DAYS = 30
# Rows per statement: bounds the IN list and the parameters of one insert.
CHUNK = 500
_opened: set[tuple[str, str]] = set()
_opened_lock = threading.Lock()


class DatabaseVectorCache:
    """`VectorCache` on the inbox's database (SQLite or PostgreSQL)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def load(self, fingerprint: str, keys: Sequence[str]) -> dict[str, CachedVector]:
        self._open(fingerprint)
        out: dict[str, CachedVector] = {}
        with session_scope(self.settings, write=False) as session:
            for start in range(0, len(keys), CHUNK):
                for key, vector, topic in repo.memory_vectors(
                    session, fingerprint, keys[start : start + CHUNK]
                ):
                    out[key] = CachedVector(vector, topic)
        return out

    def store(self, fingerprint: str, rows: dict[str, CachedVector]) -> None:
        now = utcnow()
        records = [
            {"fingerprint": fingerprint, "text_sha256": key, "vector": row.vector,
             "topic": row.topic[:64], "created_at": now}
            for key, row in rows.items()
        ]  # fmt: skip
        with session_scope(self.settings) as session:
            # The set row first, in the same transaction: its vectors refer to it.
            repo.use_memory_vector_set(session, fingerprint, DIMENSIONS, now)
            for start in range(0, len(records), CHUNK):
                repo.put_memory_vectors(session, records[start : start + CHUNK])

    def _open(self, fingerprint: str) -> None:
        """Once per process and database: mark the set used and drop long-unused ones."""
        marker = (self.settings.database_url, fingerprint)
        with _opened_lock:
            if marker in _opened:
                return
            now = utcnow()
            with session_scope(self.settings) as session:
                repo.use_memory_vector_set(session, fingerprint, DIMENSIONS, now)
                dropped = repo.drop_memory_vector_sets(session, now - timedelta(days=UNUSED_DAYS))
            _opened.add(marker)
        if dropped:
            log.info("unused reply-memory vector sets deleted", extra={"sets": dropped})


def cache_for(settings: Settings) -> DatabaseVectorCache | None:
    """The database's vector cache, or None when `SMARTINBOX_MEMORY_VECTOR_CACHE` is off."""
    return DatabaseVectorCache(settings) if settings.memory_vector_cache else None


def attach(settings: Settings, engine: Engine) -> Engine:
    """`engine` with its reply memory reading and keeping vectors in this database."""
    use_vector_cache(engine, cache_for(settings))
    return engine


def forget_opened() -> None:
    """Tests: treat every database as not yet opened by this process."""
    with _opened_lock:
        _opened.clear()
