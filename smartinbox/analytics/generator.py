"""A realistic year of a busy support team, generated in bulk for demos and benchmarks.

Per 1,000 messages: every one analysed, 600 with a suggestion, 300 answered by an agent and
300 suggestions rated. Traffic follows the week (weekends quieter), the day (peaks mid-morning
and mid-afternoon, quiet nights) and the year (a busy November-December). Agents specialise
in topics, three assistant versions follow each other and get better, repeat customers write
again, a few conversations are reassigned. Rows are produced in batches of plain tuples that
`repository.bulk_insert` loads with COPY (PostgreSQL) or executemany (SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

CHANNELS = (("email", 0.5), ("chat", 0.3), ("web", 0.15), ("api", 0.05))
KINDS: dict[str, tuple[float, float, tuple[str, ...]]] = {
    # kind: (share, base urgency, topics)
    "question": (0.45, 0.3, ("shipping", "invoice", "address", "account", "cancel", "payment")),
    "complaint": (0.25, 0.55, ("refund", "payment", "delivery", "damaged", "billing", "service")),
    "urgent": (0.07, 0.85, ("outage", "checkout", "security", "billing")),
    "casual": (0.13, 0.1, ("feedback", "greeting")),
    "spam": (0.10, 0.05, ("spam",)),
}
BODIES = {
    "question": "Quick question about my {topic}: could you help with order {order}?",
    "complaint": "I am unhappy about the {topic} of order {order}. Please sort this out.",
    "urgent": "URGENT: {topic} problem right now, order {order} is blocked!",
    "casual": "Just wanted to say thanks, all good with order {order}.",
    "spam": "WIN a prize now {order}!!!",
}
USAGES = ("unchanged", "edited", "replaced")
USEFUL_BY_USAGE = {"unchanged": 0.9, "edited": 0.6, "replaced": 0.15, "none": 0.3}
# Hour-of-day profile (UTC): quiet nights, peaks around 10:00 and 15:00.
HOURLY = np.array(
    [0.15 + np.exp(-((h - 10) ** 2) / 8) + 0.8 * np.exp(-((h - 15) ** 2) / 10) for h in range(24)]
)
HOURLY = HOURLY / HOURLY.sum()
AGENTS = 12
VERSIONS = 3


@dataclass
class Batch:
    """Rows of every table for one slice of the messages, in insertion order."""

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)


@dataclass
class Context:
    """What the generated rows point at: ids that exist before the first batch."""

    first_id: dict[str, int]  # next free id per table
    agent_ids: list[int]
    version_ids: list[int]
    customer_ids: list[int]
    prefix: str  # keeps external ids unique when the generator runs again


COLUMNS: dict[str, tuple[str, ...]] = {
    "messages": (
        "id", "channel", "external_id", "customer_id", "subject", "body", "body_format",
        "received_at", "status", "assignee_id", "source", "updated_at", "created_at",
    ),
    "analyses": (
        "id", "message_id", "kind", "topic", "urgency", "sentiment", "spam", "language",
        "out_of_scope", "confidence", "model_version", "assistant_version_id", "latency_ms",
        "updated_at", "created_at",
    ),
    "ai_replies": (
        "id", "message_id", "text", "confidence", "snoozed", "evidence", "assistant_version_id",
        "provider", "model", "latency_ms", "is_current", "created_at",
    ),
    "agent_replies": (
        "id", "message_id", "ai_reply_id", "author_id", "text", "usage", "edit_distance",
        "created_at",
    ),
    "feedback": (
        "id", "message_id", "ai_reply_id", "author_id", "useful", "score", "is_current",
        "created_at",
    ),
    "message_events": ("id", "message_id", "event", "actor_id", "data", "created_at"),
}  # fmt: skip


def day_weights(days: int, end: datetime) -> np.ndarray:
    """Weekends at 45 %, November-December at 130 % of a normal weekday."""
    weights = np.empty(days)
    for i in range(days):
        day = end - timedelta(days=days - 1 - i)
        season = 1.3 if day.month in (11, 12) else 1.0
        weights[i] = (1.0 if day.weekday() < 5 else 0.45) * season
    normalised: np.ndarray = weights / weights.sum()
    return normalised


def generate(
    count: int,
    ctx: Context,
    *,
    days: int = 365,
    end: datetime,
    with_feedback: bool = True,
    seed: int = 42,
    batch_size: int = 20_000,
) -> Iterator[Batch]:
    rng = np.random.default_rng(seed)
    start_day = (end - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    dweights = day_weights(days, end)
    kinds = list(KINDS)
    kind_p = np.array([KINDS[k][0] for k in kinds])
    next_id = dict(ctx.first_id)
    for offset in range(0, count, batch_size):
        n = min(batch_size, count - offset)
        day = rng.choice(days, size=n, p=dweights)
        hour = rng.choice(24, size=n, p=HOURLY)
        secs = rng.integers(0, 3600, size=n)
        received = [
            start_day + timedelta(days=int(d), hours=int(h), seconds=int(s))
            for d, h, s in zip(day, hour, secs, strict=True)
        ]
        batch = Batch({t: [] for t in COLUMNS})
        draws = rng.random((n, 8))
        kind_idx = rng.choice(len(kinds), size=n, p=kind_p)
        for i in range(n):
            _one(batch, ctx, next_id, offset + i, received[i], kinds[kind_idx[i]],
                 draws[i], int(hour[i]), with_feedback, min(received[i], end), days, int(day[i]))  # fmt: skip
        yield batch


def _one(
    batch: Batch,
    ctx: Context,
    next_id: dict[str, int],
    seq: int,
    received: datetime,
    kind: str,
    r: np.ndarray,
    hour: int,
    with_feedback: bool,
    now: datetime,
    days: int,
    day: int,
) -> None:
    """One message and everything that happened to it."""
    _share, base, topics = KINDS[kind]
    topic = topics[int(r[0] * len(topics))]
    channel = "email" if r[1] < 0.5 else "chat" if r[1] < 0.8 else "web" if r[1] < 0.95 else "api"
    night = 0.15 if hour < 6 or hour >= 22 else 0.0
    urgency = float(min(1.0, max(0.0, base + night + (r[2] - 0.5) * 0.3)))
    version = ctx.version_ids[min(VERSIONS - 1, day * VERSIONS // days)]
    topic_no = sum(map(ord, topic))
    agent = (
        ctx.agent_ids[(topic_no + int(r[3] * 3)) % len(ctx.agent_ids)] if kind != "spam" else None
    )
    customer = ctx.customer_ids[int(len(ctx.customer_ids) * r[4] ** 2)] if kind != "spam" else None
    mid = _take(next_id, "messages")
    has_ai = r[5] < 0.6
    answered = with_feedback and (r[5] < 0.27 or 0.6 <= r[5] < 0.63)
    status = "replied" if answered else "closed" if r[6] < 0.5 else "open"
    if answered and seq % 53 == 0:
        status = "escalated"
    body = BODIES[kind].format(topic=topic, order=1_000_000 + seq)
    batch.rows["messages"].append((
        mid, channel, f"{ctx.prefix}-{seq:08d}", customer, f"{kind.title()}: {topic}", body, "text",
        received, status, agent, "seed", received, received,
    ))  # fmt: skip
    batch.rows["analyses"].append((
        _take(next_id, "analyses"), mid, kind, topic, round(urgency, 3),
        round(0.6 - urgency, 3), 0.9 if kind == "spam" else 0.02, "en", False, "{}",
        "generated", version, 3.0, received, received,
    ))  # fmt: skip
    ai_id = None
    if has_ai:
        ai_id = _take(next_id, "ai_replies")
        batch.rows["ai_replies"].append((
            ai_id, mid, f"Thanks for reaching out about your {topic}. We are on it.",
            round(0.4 + 0.5 * r[7], 3), False, "[]", version, "local", "generated", 25.0,
            True, received + timedelta(seconds=2),
        ))  # fmt: skip
    rated = with_feedback and has_ai and r[5] < 0.30
    usage, replied_at = None, received + timedelta(minutes=5 + int(r[7] * 480))
    replied_at = min(now, replied_at)
    if answered:
        usage = "none" if ai_id is None else USAGES[0 if r[6] < 0.45 else 1 if r[6] < 0.75 else 2]
        batch.rows["agent_replies"].append((
            _take(next_id, "agent_replies"), mid, ai_id, agent, f"Reply about {topic}.", usage,
            None if usage in ("unchanged", "none") else int(r[2] * 80), replied_at,
        ))  # fmt: skip
        if ai_id is not None and (topic_no + seq) % 37 == 0:
            batch.rows["message_events"].append((
                _take(next_id, "message_events"), mid, "reassigned", agent, "{}",
                replied_at + timedelta(minutes=30),
            ))  # fmt: skip
    if rated:
        p_useful = USEFUL_BY_USAGE[usage or "none"] + 0.05 * ctx.version_ids.index(version)
        useful = bool(r[3] < p_useful)
        score = 4 + int(r[2] * 2) if useful else 1 + int(r[2] * 2)
        batch.rows["feedback"].append((
            _take(next_id, "feedback"), mid, ai_id, agent, useful, score, True,
            replied_at + timedelta(minutes=1),
        ))  # fmt: skip


def _take(next_id: dict[str, int], table: str) -> int:
    value = next_id[table]
    next_id[table] = value + 1
    return value
