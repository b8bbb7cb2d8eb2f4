"""The engine behind each assistant version, loaded once per version and shared.

A local version built by retraining carries its own models folder and reply memory
(`artifacts`); its engine is those models plus that memory. A version without them (v1.0, or a
fine-tuned version answered elsewhere) uses the default local engine. Engines are cached by
version id and memory hash, so a rebuilt candidate is loaded afresh and a promoted one is not
loaded twice; all of them share one embedding model.

Instant learning lives in a loaded engine's memory, and the database is where it is kept: the
first time a process uses the live version's engine (after a start, or after a retraining
replaced the models) it replays, with `remember()`, the approved replies agents gave since that
version went live, which is exactly what instant learning taught it, so nothing is lost when a
process restarts. Replies its own reply memory file already holds are skipped. Candidates are
left as they were built: a stress test compares versions, not what each happened to learn.
Every engine handed out here keeps the vectors it remembers in the database (vector_cache.py),
so a replay reads them back instead of embedding the same messages on every start.

The memory review (smartinbox/memory) decides what a loaded memory may hold: a retrained
version's memory file is read through its overrides (held, junk and removed replies left out,
edited ones as edited), and when an admin removes or edits a reply the memory stamp in the
database changes; every process checks it when it looks up the live engine and, on a change,
drops its loaded engines so the next use rebuilds them without that reply.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from smartinbox.ai import get_engine
from smartinbox.ai.engine import Engine, MemoryItem
from smartinbox.config import Settings
from smartinbox.versions.vector_cache import attach, cache_for, forget_opened

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[tuple[int, str, str], Engine] = {}
# Engines whose memory already holds the database's approved replies. Weak: an engine the
# registry dropped (after a retraining) is forgotten, and its replacement is replayed anew.
_primed: weakref.WeakSet[Any] = weakref.WeakSet()
_prime_lock = threading.Lock()
REPLAY_BATCH = 256
# The memory stamp this process's loaded engines were built under (None: not read yet).
_memory_stamp: int | None = None


def has_local_artifacts(artifacts: dict[str, Any]) -> bool:
    return bool(artifacts.get("models_dir") and artifacts.get("reply_memory"))


def _stored_items(settings: Settings, since: datetime | None) -> list[MemoryItem]:
    """Approved replies kept in the database since `since`, oldest first (the latest wins),
    each with its message's topic."""
    from smartinbox.db import session_scope
    from smartinbox.feedback import repository as repo
    from smartinbox.feedback.training import is_junk

    with session_scope(settings, write=False) as session:
        examples = [
            ex for ex in repo.iter_examples(session, since=since) if not is_junk(ex.completion)
        ]
        # Filed under the message's topic, as instant learning filed it (an agent's
        # correction included), not under whatever the head would predict now.
        topics = repo.topics_of(session, {ex.message_id for ex in examples if ex.message_id})
    return [
        MemoryItem(
            ex.prompt,
            ex.completion,
            "agent_reply",
            _ref(ex.message_id, ex.id),
            topics.get(ex.message_id) if ex.message_id else None,
        )
        for ex in examples
    ]


def _ref(message_id: int | None, example_id: int) -> str:
    # The same reference instant learning and the retraining's memory file use.
    return f"message:{message_id}" if message_id else f"example:{example_id}"


def _replay(engine: Engine, items: Iterable[MemoryItem]) -> int:
    batch: list[MemoryItem] = []
    count = 0
    for item in items:
        batch.append(item)
        if len(batch) >= REPLAY_BATCH:
            engine.remember(batch)
            count, batch = count + len(batch), []
    if batch:
        engine.remember(batch)
        count += len(batch)
    return count


def prime(
    settings: Settings,
    engine: Engine,
    since: datetime | None = None,
    known: set[tuple[str | None, str]] | None = None,
) -> None:
    """Replay approved replies since `since` into `engine`, once; `known` are already there."""
    with _prime_lock:
        if engine in _primed:
            return
        items = _stored_items(settings, since)
        if known:
            items = [i for i in items if (i.ref_id, i.reply) not in known]
        count = _replay(engine, items)
        _primed.add(engine)
    if count:
        log.info("reply memory replayed from the database", extra={"items": count})


def default_engine(settings: Settings, since: datetime | None = None) -> Engine:
    """The default models folder's engine, with the approved replies since `since` remembered."""
    engine = attach(settings, get_engine(settings.resolved_models_dir()))
    prime(settings, engine, since)
    return engine


def _overrides(settings: Settings) -> Any:
    from smartinbox.db import session_scope
    from smartinbox.memory.service import overrides

    with session_scope(settings, write=False) as session:
        return overrides(session)


def _load(settings: Settings, artifacts: dict[str, Any]) -> Engine:
    # On the process's shared embedder: a second MiniLM per version would cost a few hundred
    # megabytes each.
    from smartinbox.ai.registry import shared_embedder
    from smartinbox.feedback.local_retrain import load_candidate

    return load_candidate(
        artifacts,
        embedder=shared_embedder(),
        vector_cache=cache_for(settings),
        screen=_overrides(settings).apply,
    )


def _known(artifacts: dict[str, Any]) -> set[tuple[str | None, str]]:
    from smartinbox.feedback.local_retrain import read_memory

    return {(i.ref_id, i.reply) for i in read_memory(Path(artifacts["reply_memory"]))}


def check_memory_stamp(stamp: int) -> bool:
    """Drop every loaded engine when the memory stamp moved since they were built; True then."""
    global _memory_stamp
    with _prime_lock:
        previous, _memory_stamp = _memory_stamp, stamp
    if previous is None or previous == stamp:
        return False
    from smartinbox.ai.registry import clear_engines

    clear()
    clear_engines()
    log.info("reply memory changed by a review; engines reloaded", extra={"stamp": stamp})
    return True


def engine_for_version(
    settings: Settings,
    version_id: int | None,
    artifacts: dict[str, Any],
    *,
    live_since: datetime | None = None,
) -> Engine:
    """The engine that answers for a version; `live_since` when it is live, from when."""
    if version_id is None or not has_local_artifacts(artifacts):
        default = attach(settings, get_engine(settings.resolved_models_dir()))
        if version_id is None or live_since is not None:
            prime(settings, default, live_since)
        return default
    key = (version_id, str(artifacts["reply_memory"]), str(artifacts.get("reply_memory_sha256")))
    with _lock:
        cached = _cache.get(key)
        if cached is None:
            # Loading under the lock: two threads asking at once must not load twice.
            cached = _load(settings, artifacts)
            for old in [k for k in _cache if k[0] == version_id]:
                del _cache[old]
            _cache[key] = cached
    engine = attach(settings, cached)
    if live_since is not None and engine not in _primed:
        prime(settings, engine, live_since, _known(artifacts))
    return engine


def live_engine(settings: Settings) -> Engine:
    """The live version's engine, looked up in a short read-only transaction of its own."""
    from smartinbox.db import session_scope
    from smartinbox.memory.repository import stamp
    from smartinbox.versions import repository as repo

    with session_scope(settings, write=False) as session:
        check_memory_stamp(stamp(session))
        live = repo.live(session)
        version_id = live.id if live is not None else None
        artifacts = dict(live.artifacts) if live is not None else {}
        since = (live.promoted_at or live.created_at) if live is not None else None
    return engine_for_version(settings, version_id, artifacts, live_since=since)


def clear() -> None:
    """Forget every loaded version engine (tests, and after models are replaced)."""
    with _lock:
        _cache.clear()
    with _prime_lock:
        _primed.clear()
    forget_opened()
