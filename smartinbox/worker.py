"""The job queue: one Huey instance whose storage follows Settings.

* default: an SQLite file in the data folder, consumed by the worker threads that
  `smartinbox serve` starts (the embedded worker) or by `smartinbox worker`;
* `SMARTINBOX_QUEUE_URL=redis://...`: Redis, consumed by any number of `smartinbox worker`
  processes on any number of machines.

Jobs take ids, are named `domain.verb`, reload what they need and are idempotent.
Jobs queued during a request or CLI command are sent only after its commit (`enqueue`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from huey import Huey
from huey.consumer import Consumer, Worker
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy.orm import Session

from smartinbox.config import Settings, get_settings
from smartinbox.db import after_commit

log = logging.getLogger(__name__)

# Set whenever this process queues a job: the embedded worker's idle threads wake at once
# instead of waiting for their next poll of the SQLite queue (up to a second when idle).
_queued = threading.Event()


class _Huey(Huey):  # type: ignore[misc]
    def enqueue(self, task: Any) -> Any:
        result = super().enqueue(task)
        _queued.set()
        return result


huey = _Huey("smartinbox", results=False, utc=True, storage_class=MemoryStorage)
_configured_for: tuple[str, str] | None = None
_lock = threading.Lock()


def queue_location(settings: Settings) -> str:
    if settings.queue_url:
        return settings.queue_url
    return f"sqlite:///{settings.resolved_data_dir() / 'queue.db'}"


def configure_queue(settings: Settings | None = None) -> Huey:
    """Point the shared Huey instance at the storage the settings name (idempotent)."""
    global _configured_for
    settings = settings or get_settings()
    key = (queue_location(settings), settings.queue_name)
    with _lock:
        if _configured_for == key:
            return huey
        old = huey.storage
        url = key[0]
        if url.startswith(("redis://", "rediss://", "unix://")):
            huey.storage = RedisStorage(name=settings.queue_name, url=url)
        elif url.startswith("memory://"):
            huey.storage = MemoryStorage(name=settings.queue_name)
        else:
            path = url.removeprefix("sqlite:///")
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
            huey.storage = SqliteStorage(name=settings.queue_name, filename=path, timeout=10)
        huey.name = settings.queue_name
        _configured_for = key
        try:
            old.close()
        except Exception:  # pragma: no cover - closing a dead connection
            log.debug("closing the previous queue storage failed", exc_info=True)
    return huey


def enqueue(session: Session, task: Callable[..., Any], *args: Any) -> None:
    """Queue `task(*args)` once the session commits; nothing is sent on rollback."""

    def send() -> None:
        configure_queue()
        task(*args)

    after_commit(session, send)


def queue_reachable() -> bool:
    try:
        configure_queue().pending_count()
    except Exception:
        log.warning("queue not reachable", exc_info=True)
        return False
    return True


class _WakeableWorker(Worker):  # type: ignore[misc]
    """A worker thread that sleeps between polls until the delay passes or a job is queued here."""

    def sleep(self) -> None:
        state: Any = self  # Huey's Worker sets these attributes without annotations
        delay = min(float(state.delay), float(state.max_delay))
        deadline = time.monotonic() + delay
        while not state.stop_flag.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # Short waits keep shutdown as prompt as Huey's own sleep on the stop flag.
            if _queued.wait(min(left, 0.1)):
                _queued.clear()
                break
        state.delay = delay * float(state.backoff)


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer that leaves signal handling to the host process (uvicorn)."""

    worker_class = _WakeableWorker

    def _set_signal_handlers(self) -> None:
        return None


class EmbeddedWorker:
    """Worker threads inside `smartinbox serve`; stopped gracefully at shutdown."""

    def __init__(self, settings: Settings | None = None, *, periodic: bool = True) -> None:
        self.settings = settings or get_settings()
        self.periodic = periodic
        self._consumer: _EmbeddedConsumer | None = None

    def start(self) -> None:
        import_tasks()
        configure_queue(self.settings)
        self._consumer = _EmbeddedConsumer(
            huey,
            workers=self.settings.worker_threads,
            worker_type="thread",
            periodic=self.periodic,
            initial_delay=0.05,
            backoff=1.2,
            max_delay=1.0,
            shutdown_timeout=self.settings.shutdown_grace_s,
        )
        self._consumer.start()
        log.info("embedded worker started", extra={"threads": self.settings.worker_threads})

    def stop(self) -> None:
        if self._consumer is None:
            return
        # Waits for running jobs up to the grace period; anything cut short is
        # re-queued by the periodic sweep, since jobs are idempotent.
        self._consumer.stop(graceful=True)
        self._consumer = None
        log.info("embedded worker stopped")


def run_worker(settings: Settings | None = None, *, threads: int | None = None) -> None:
    """`smartinbox worker`: a standalone consumer (SIGINT/SIGTERM stop it gracefully)."""
    settings = settings or get_settings()
    import_tasks()
    configure_queue(settings)
    log.info(
        "worker starting",
        extra={
            "threads": threads or settings.worker_threads,
            "model_threads": settings.resolved_model_threads(),
        },
    )
    consumer = huey.create_consumer(
        workers=threads or settings.worker_threads,
        worker_type="thread",
        periodic=True,
        initial_delay=0.05,
        backoff=1.2,
        max_delay=1.0,
        shutdown_timeout=settings.shutdown_grace_s,
        graceful_signal="TERM",
    )
    consumer.run()


def drain(limit: int = 100_000) -> int:
    """Run every queued job in this thread (tests and `smartinbox jobs drain`)."""
    import_tasks()
    done = 0
    while done < limit:
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        done += 1
    return done


def import_tasks() -> None:
    """Register every domain's jobs with the Huey instance."""
    import smartinbox.analytics.tasks
    import smartinbox.channels.tasks
    import smartinbox.conversations.tasks
    import smartinbox.evaluation.tasks
    import smartinbox.feedback.tasks
    import smartinbox.inbox.tasks  # noqa: F401
