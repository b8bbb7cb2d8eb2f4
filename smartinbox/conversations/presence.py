"""Who has a conversation open: each open conversation page checks in every few seconds; an
agent counts as viewing it until `presence_ttl_s` after their last check-in.

Kept in the process's memory: it is a hint for agents ("Bea is viewing this"), lost on restart
and never a lock. With several web processes each knows the agents its own requests saw.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Viewer:
    user_id: int
    email: str
    replying: bool
    seen: float


class Presence:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._viewers: dict[int, dict[int, Viewer]] = {}

    def check_in(
        self, conversation_id: int, user_id: int, email: str, replying: bool, ttl: float
    ) -> list[Viewer]:
        """Record the agent; the other agents viewing the conversation, by e-mail."""
        now = time.monotonic()
        with self._lock:
            viewers = self._viewers.setdefault(conversation_id, {})
            viewers[user_id] = Viewer(user_id, email, replying, now)
            for uid in [u for u, v in viewers.items() if now - v.seen > ttl]:
                del viewers[uid]
            # Forget conversations nobody views, so the map stays as small as the team's work.
            for cid in [c for c, v in self._viewers.items() if not v]:
                del self._viewers[cid]
            return sorted(
                (v for v in viewers.values() if v.user_id != user_id), key=lambda v: v.email
            )

    def reset(self) -> None:
        with self._lock:
            self._viewers.clear()


PRESENCE = Presence()
