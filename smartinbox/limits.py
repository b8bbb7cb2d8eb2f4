"""Login throttling: a guard that sits in front of the authentication service."""

from __future__ import annotations

import threading
import time
from collections import deque

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
