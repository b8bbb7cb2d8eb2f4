"""`smartinbox seed --with-feedback`: ratings, agent replies and overrides on seeded messages.

Goes through the same services as the UI (replies are classified as unchanged, edited or
replaced by the inbox; ratings keep their history), so analytics and retraining see data
shaped like real use. Deterministic per message, and a message that already has a rating or a
reply is left alone, so re-running adds nothing twice.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.feedback import service
from smartinbox.feedback.schemas import FeedbackIn
from smartinbox.inbox import service as inbox_service
from smartinbox.models import AgentReply, AIReply, Analysis, Feedback, Message, User

# Replies an agent writes when the suggestion missed, by topic (the fallback for any other).
AGENT_REPLIES = {
    "refund": "I've checked your refund: it was issued today and shows on your statement within 3-5 business days.",
    "shipping": "Your parcel is with the courier now; here is the tracking link, and it should arrive within two days.",
    "billing": "I'm sorry about the charge. I've reversed the duplicate payment; you'll see it back within a few days.",
    "account": "I've reset the login for your account; please use the link we just e-mailed you to set a new password.",
    "order": "I've looked up your order: it is packed and leaves our warehouse today. Sorry for the wait!",
}
FALLBACK = "Thanks for your patience. I've looked into this personally and sorted it out; let me know if anything is still unclear."
EDIT_SUFFIX = " Best wishes."
NOTES = ["wrong topic", "too generic", "missing order details", "tone felt off", None, None]


def _author(session: Session) -> int | None:
    return session.scalar(select(User.id).where(User.role == "agent").order_by(User.id).limit(1))


def _pending(session: Session, after_id: int, limit: int) -> list[tuple[int, str | None]]:
    answered = exists().where(AgentReply.message_id == Message.id)
    rated = exists().where(Feedback.message_id == Message.id)
    stmt = (
        select(Message.id, Analysis.topic)
        .join(AIReply, (AIReply.message_id == Message.id) & AIReply.is_current.is_(True))
        .outerjoin(Analysis, Analysis.message_id == Message.id)
        .where(Message.id > after_id, ~answered, ~rated)
        .order_by(Message.id)
        .limit(limit)
    )
    return [(int(i), t) for i, t in session.execute(stmt)]


def _act(
    session: Session, settings: Settings, message_id: int, topic: str | None, author: User | None
) -> str:
    rng = random.Random(message_id)
    roll = rng.random()
    suggestion = session.scalar(
        select(AIReply.text).where(AIReply.message_id == message_id, AIReply.is_current.is_(True))
    )
    correction = AGENT_REPLIES.get(topic or "", FALLBACK)
    if roll < 0.30:  # thumbs-down and the agent writes their own reply
        service.rate(
            session,
            settings,
            message_id,
            FeedbackIn(useful=False, score=rng.choice([1, 2]), notes=rng.choice(NOTES)),
            author,
        )
        inbox_service.record_reply(session, message_id, correction, author)
        outcome = "not_useful"
    elif roll < 0.55:  # thumbs-up and sent as suggested
        service.rate(
            session, settings, message_id, FeedbackIn(useful=True, score=rng.choice([4, 5])), author
        )
        inbox_service.record_reply(session, message_id, suggestion or correction, author)
        outcome = "useful"
    elif roll < 0.70:  # lightly edited without a rating
        inbox_service.record_reply(
            session, message_id, (suggestion or correction) + EDIT_SUFFIX, author
        )
        outcome = "edited"
    elif roll < 0.80:  # overridden without a rating
        inbox_service.record_reply(session, message_id, correction, author)
        outcome = "override"
    else:
        return "untouched"
    service.capture_message(session, settings, message_id)
    return outcome


def add_feedback(
    settings: Settings, on_progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Rate and answer every seeded message that has a suggestion and no agent action yet."""
    counts: dict[str, int] = {}
    last = 0
    while True:
        with session_scope(settings) as session:
            batch = _pending(session, last, 500)
            if not batch:
                return counts
            author_id = _author(session)
            author = session.get(User, author_id) if author_id else None
            for message_id, topic in batch:
                outcome = _act(session, settings, message_id, topic, author)
                counts[outcome] = counts.get(outcome, 0) + 1
            last = batch[-1][0]
        if on_progress:
            on_progress(len(batch))
