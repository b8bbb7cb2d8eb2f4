"""Guards in front of the services: login throttling, and admission of SQLite write requests."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from smartinbox.kit.errors import TooManyRequests


class LoginThrottle:
    """At most `attempts` failed logins per (client, e-mail) within `window_s` seconds.

    Kept in process memory: each web process throttles on its own, which bounds guessing to
    attempts x processes per window.
    """

    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        return failures

    def check(self, client: str, email: str) -> None:
        key = (client, email.strip().lower())
        now = time.monotonic()
        with self._lock:
            failures = self._recent(key, now)
            if len(failures) >= self.attempts:
                retry = int(self.window_s - (now - failures[0])) + 1
                raise TooManyRequests(
                    f"too many failed logins; try again in {retry} seconds", retry_after=retry
                )

    def failed(self, client: str, email: str) -> None:
        key = (client, email.strip().lower())
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, client: str, email: str) -> None:
        with self._lock:
            self._failures.pop((client, email.strip().lower()), None)


class WriteGate:
    """At most `limit` write requests in the server's thread pool at once (SQLite).

    SQLite has one writer at a time. Without a gate, every request thread can end up waiting
    for the write lock inside `BEGIN IMMEDIATE` while the request that holds it waits for a
    free thread to finish and commit: the lock is held until the waiters give up (503). Here
    write requests queue on the event loop instead, first come first served, and hold no
    thread and no connection while they wait; reads are never held back.
    """

    def __init__(self, limit: int, wait_s: float) -> None:
        self.limit = limit
        self.wait_s = wait_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(limit)

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new server loop (tests start several): fresh slots
            self._loop, self._slots = loop, asyncio.Semaphore(self.limit)
        return self._slots

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[bool]:
        """Yields True once admitted, or False when no slot freed up within `wait_s`."""
        slots = self._semaphore()
        try:
            await asyncio.wait_for(slots.acquire(), self.wait_s)
        except TimeoutError:
            yield False
            return
        try:
            yield True
        finally:
            slots.release()
