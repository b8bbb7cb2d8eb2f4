"""A job queued in this process wakes the embedded worker instead of waiting for its next poll."""

from __future__ import annotations

import threading

from smartinbox import worker


def _sleeping_worker(delay: float) -> tuple[worker._WakeableWorker, threading.Thread]:
    idle = worker._WakeableWorker(
        huey=worker.huey,
        stop_flag=threading.Event(),
        default_delay=delay,
        max_delay=delay,
        backoff=1.0,
    )
    thread = threading.Thread(target=idle.sleep, daemon=True)
    return idle, thread


def test_queueing_a_job_wakes_an_idle_worker() -> None:
    worker._queued.clear()
    _idle, thread = _sleeping_worker(600.0)  # without a wake-up it would sleep ten minutes
    thread.start()
    thread.join(0.2)
    assert thread.is_alive()
    worker.huey.enqueue(worker.huey.task(name="tests.noop")(lambda: None).s())
    thread.join(30)
    assert not thread.is_alive()


def test_stopping_ends_the_sleep() -> None:
    worker._queued.clear()
    idle, thread = _sleeping_worker(600.0)
    thread.start()
    idle.stop_flag.set()
    thread.join(30)
    assert not thread.is_alive()
