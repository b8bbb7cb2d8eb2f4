"""A small week of conversations whose every figure is worked out by hand in the tests.

Times are UTC; the comments give New York wall-clock time (EST, UTC-5 in January).
Period under test: Monday 2025-01-06 to Sunday 2025-01-12 (New York days).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from smartinbox.models import (
    AgentReply,
    AIReply,
    Analysis,
    AssistantVersion,
    Customer,
    Feedback,
    Message,
    MessageEvent,
    User,
)


def utc(day: int, hour: int, minute: int = 0, month: int = 1, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    users: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    messages: dict[str, int] = field(default_factory=dict)
    ai: dict[str, int] = field(default_factory=dict)


def _message(
    s: Session, w: World, key: str, at: datetime, channel: str, *,
    kind: str | None, topic: str | None = None, urgency: float = 0.0, customer: Customer | None = None,
    assignee: str | None = None, status: str = "open", version: str | None = None,
) -> Message:  # fmt: skip
    m = Message(
        channel=channel, external_id=key, subject=f"Subject {key}", body=f"Body of {key}",
        received_at=at, status=status, customer=customer,
        assignee_id=w.users[assignee] if assignee else None,
    )  # fmt: skip
    s.add(m)
    s.flush()
    w.messages[key] = m.id
    if kind is not None:
        s.add(Analysis(
            message_id=m.id, kind=kind, topic=topic, urgency=urgency, sentiment=0.0, spam=0.0,
            language="en", model_version="test",
        ))  # fmt: skip
    if version is not None:
        reply = AIReply(
            message_id=m.id, text=f"AI reply to {key}", confidence=0.8, model="test",
            assistant_version_id=w.versions[version], created_at=at + timedelta(seconds=5),
        )  # fmt: skip
        s.add(reply)
        s.flush()
        w.ai[key] = reply.id
    return m


def _reply(s: Session, w: World, key: str, usage: str, at: datetime, author: str) -> None:
    s.add(AgentReply(
        message_id=w.messages[key], ai_reply_id=w.ai.get(key), author_id=w.users[author],
        text=f"Agent reply to {key} ({usage})", usage=usage, created_at=at,
    ))  # fmt: skip


def rate(
    s: Session, w: World, key: str, author: str, useful: bool, score: int | None,
    *, current: bool = True, at: datetime | None = None,
) -> None:  # fmt: skip
    s.add(Feedback(
        message_id=w.messages[key], ai_reply_id=w.ai[key], author_id=w.users[author],
        useful=useful, score=score, is_current=current, created_at=at or utc(12, 12),
    ))  # fmt: skip
    s.flush()


def build(s: Session) -> World:
    w = World()
    for name in ("ann", "bob"):
        user = User(email=f"{name}@team.example", name=name.title(), role="agent")
        s.add(user)
        s.flush()
        w.users[name] = user.id
    for tag in ("v1", "v2"):
        version = AssistantVersion(version_tag=f"test-{tag}", status="live")
        s.add(version)
        s.flush()
        w.versions[tag] = version.id
    c1, c2 = Customer(email="c1@example.com"), Customer(email="c2@example.com")
    s.add_all([c1, c2])
    # M1 Tue 18:30 NY (23:30 UTC): complaint/billing, used unchanged, rated useful.
    _message(s, w, "m1", utc(7, 23, 30), "email", kind="complaint", topic="billing",
             urgency=0.8, customer=c2, assignee="ann", status="replied", version="v1")  # fmt: skip
    _reply(s, w, "m1", "unchanged", utc(8, 0, 30), "ann")
    rate(s, w, "m1", "ann", True, 5)
    # M2 Tue 22:30 NY (Wed 03:30 UTC): complaint/billing, replaced, rated not useful (1/5).
    # Escalated, but its reply was not AI-based, so it is no escalation after an AI reply.
    _message(s, w, "m2", utc(8, 3, 30), "chat", kind="complaint", topic="billing",
             urgency=0.6, assignee="ann", status="escalated", version="v1")  # fmt: skip
    _reply(s, w, "m2", "replaced", utc(8, 4), "ann")
    rate(s, w, "m2", "ann", False, 1)
    # M3 Wed 10:00 NY: complaint/delivery, edited at 12:00 NY, not useful (2/5);
    # the customer writes again 19 h later (M4): an escalation.
    _message(s, w, "m3", utc(8, 15), "email", kind="complaint", topic="delivery",
             urgency=0.4, customer=c1, assignee="bob", status="replied", version="v2")  # fmt: skip
    _reply(s, w, "m3", "edited", utc(8, 17), "bob")
    rate(s, w, "m3", "bob", False, 2)
    # M4 Thu 07:00 NY: question/shipping from the same customer, answered without suggestion.
    _message(s, w, "m4", utc(9, 12), "email", kind="question", topic="shipping",
             urgency=0.2, customer=c1, assignee="bob", status="replied")  # fmt: skip
    _reply(s, w, "m4", "none", utc(9, 13), "bob")
    # M5 Thu 13:00 NY: urgent/outage, suggestion v2 never used, status escalated.
    _message(s, w, "m5", utc(9, 18), "web", kind="urgent", topic="outage", urgency=1.0,
             status="escalated", version="v2")  # fmt: skip
    # M6 Fri 00:00 NY (05:00 UTC): question/shipping, unchanged, then reassigned;
    # an earlier "not useful" by Bob was replaced by "useful".
    _message(s, w, "m6", utc(10, 5), "chat", kind="question", topic="shipping", urgency=0.3,
             assignee="bob", status="replied", version="v1")  # fmt: skip
    _reply(s, w, "m6", "unchanged", utc(10, 6), "bob")
    s.add(MessageEvent(message_id=w.messages["m6"], event="reassigned", created_at=utc(10, 7)))
    rate(s, w, "m6", "bob", False, 2, current=False)
    rate(s, w, "m6", "bob", True, 4)
    # M7: the previous week, complaint/billing.
    _message(s, w, "m7", utc(2, 14), "email", kind="complaint", topic="billing", urgency=0.5)
    # M8 Fri 15:00 NY: not analysed yet.
    _message(s, w, "m8", utc(10, 20), "api", kind=None)
    s.flush()
    return w
