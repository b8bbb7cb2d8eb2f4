"""The engine behind each assistant version, loaded once per version and shared.

A local version built by retraining carries its own models folder and reply memory
(`artifacts`); its engine is those models plus that memory. A version without them (v1.0, or a
fine-tuned version answered elsewhere) uses the default local engine. Engines are cached by
version id and memory hash, so a rebuilt candidate is loaded afresh and a promoted one is not
loaded twice; all of them share one embedding model.
"""

from __future__ import annotations

import threading
from typing import Any

from smartinbox.ai import get_engine
from smartinbox.ai.engine import Engine
from smartinbox.config import Settings

_lock = threading.Lock()
_cache: dict[tuple[int, str, str], Engine] = {}


def has_local_artifacts(artifacts: dict[str, Any]) -> bool:
    return bool(artifacts.get("models_dir") and artifacts.get("reply_memory"))


def _load(artifacts: dict[str, Any]) -> Engine:
    # On the process's shared embedder: a second MiniLM per version would cost a few hundred
    # megabytes each.
    from smartinbox.ai.registry import shared_embedder
    from smartinbox.feedback.local_retrain import load_candidate

    return load_candidate(artifacts, embedder=shared_embedder())


def engine_for_version(
    settings: Settings, version_id: int | None, artifacts: dict[str, Any]
) -> Engine:
    """The engine that answers for a version."""
    if version_id is None or not has_local_artifacts(artifacts):
        return get_engine(settings.resolved_models_dir())
    key = (version_id, str(artifacts["reply_memory"]), str(artifacts.get("reply_memory_sha256")))
    with _lock:
        engine = _cache.get(key)
        if engine is None:
            # Loading under the lock: two threads asking at once must not load twice.
            engine = _load(artifacts)
            for old in [k for k in _cache if k[0] == version_id]:
                del _cache[old]
            _cache[key] = engine
        return engine


def live_engine(settings: Settings) -> Engine:
    """The live version's engine, looked up in a short read-only transaction of its own."""
    from smartinbox.db import session_scope
    from smartinbox.versions import repository as repo

    with session_scope(settings, write=False) as session:
        live = repo.live(session)
        version_id = live.id if live is not None else None
        artifacts = dict(live.artifacts) if live is not None else {}
    return engine_for_version(settings, version_id, artifacts)


def clear() -> None:
    """Forget every loaded version engine (tests, and after models are replaced)."""
    with _lock:
        _cache.clear()
