"""One loaded engine per models folder, shared by the web app and every worker thread.

Loading costs about a second and a few hundred megabytes; the engine itself is safe to use from
many threads (its reply memory takes a lock), so one instance per folder is enough. When the
folder is retrained in place, the next call sees the new manifest and loads the new models.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from smartinbox.ai.artifacts import MANIFEST, ModelArtifactsError
from smartinbox.ai.embedder import MiniLMEmbedder
from smartinbox.ai.engine import Engine
from smartinbox.ai.providers.local import LocalEngine
from smartinbox.ai.training import Progress, ensure_models, load_local_engine

if TYPE_CHECKING:
    from smartinbox.ai.providers.openai_compat import OpenAIEngine
    from smartinbox.config import Settings


@dataclass(frozen=True)
class _Loaded:
    engine: LocalEngine
    stamp: tuple[int, int]


_lock = threading.Lock()
_engines: dict[Path, _Loaded] = {}
_embedder: MiniLMEmbedder | None = None
# One OpenAI engine per configuration, so its concurrency limit holds across worker threads.
_remote: dict[tuple[object, ...], OpenAIEngine] = {}


def _manifest_stamp(models_dir: Path) -> tuple[int, int]:
    try:
        stat = (models_dir / MANIFEST).stat()
    except FileNotFoundError as exc:
        raise ModelArtifactsError(f"no trained models in {models_dir}; run training first") from exc
    return (stat.st_mtime_ns, stat.st_size)


def shared_embedder() -> MiniLMEmbedder:
    global _embedder
    with _lock:
        if _embedder is None:
            from smartinbox.config import get_settings

            threads = get_settings().resolved_model_threads()
            limit_numeric_threads(threads)
            _embedder = MiniLMEmbedder(threads=threads)
        return _embedder


def limit_numeric_threads(threads: int) -> None:
    """Cap NumPy's BLAS pool for this process (`SMARTINBOX_MODEL_THREADS`).

    The reply memory search is one matrix-vector product per message: far too small to split
    across threads. OpenBLAS splits it anyway, one thread per core, and in every worker thread
    of every process at once; on a busy machine that made each search about ten times slower.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")


def get_engine(
    models_dir: Path, *, train_if_missing: bool = False, progress: Progress | None = None
) -> Engine:
    """The engine for `models_dir`, loaded once and shared.

    Raises `ModelArtifactsError` when the folder holds no models, unless `train_if_missing`.
    """
    return get_local_engine(models_dir, train_if_missing=train_if_missing, progress=progress)


def get_local_engine(
    models_dir: Path, *, train_if_missing: bool = False, progress: Progress | None = None
) -> LocalEngine:
    key = Path(models_dir).resolve()
    if train_if_missing:
        ensure_models(key, progress)
    embedder = shared_embedder()
    with _lock:
        stamp = _manifest_stamp(key)
        loaded = _engines.get(key)
        if loaded is None or loaded.stamp != stamp:
            # Loading under the lock: two threads asking at once must not load twice.
            loaded = _Loaded(load_local_engine(key, embedder=embedder), stamp)
            _engines[key] = loaded
        return loaded.engine


def engine_for_settings(settings: Settings) -> Engine:
    """The engine `settings.ai_provider` names: the local models, or an OpenAI-compatible API."""
    models_dir = settings.resolved_models_dir()
    if settings.ai_provider != "openai":
        return get_engine(models_dir)
    from smartinbox.ai.providers.openai_client import ChatClient, ClientConfig
    from smartinbox.ai.providers.openai_compat import OpenAIEngine

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    config = ClientConfig(
        base_url=settings.openai_base_url,
        api_key=key,
        model=settings.openai_chat_model,
        timeout_s=settings.openai_timeout_s,
        max_retries=settings.openai_max_retries,
        concurrency=settings.openai_concurrency,
    )
    options = (
        settings.openai_redact_pii,
        settings.openai_logprob_weight,
        settings.auto_snooze_threshold,
    )
    cache_key = (config, Path(models_dir).resolve(), *options)
    with _lock:
        engine = _remote.get(cache_key)
        if engine is None:
            engine = OpenAIEngine(
                ChatClient(config),
                lambda: get_local_engine(models_dir),
                redact_pii=settings.openai_redact_pii,
                logprob_weight=settings.openai_logprob_weight,
                snooze_threshold=settings.auto_snooze_threshold,
            )
            _remote[cache_key] = engine
        return engine


def clear_engines() -> None:
    """Forget every loaded engine (the next call loads again); for tests and reloads."""
    with _lock:
        _engines.clear()
        _remote.clear()
