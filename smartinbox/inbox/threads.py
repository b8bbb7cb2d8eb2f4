"""Which conversation a message belongs to, and what a new message or triage does to it.

A message joins the conversation named by its channel's thread key (`conversation_key`) when
it has one; otherwise the latest conversation of the same customer with the same normalised
subject whose last message is within `conversation_window_hours`; otherwise it starts one.
A new customer message reopens a pending, solved, closed or snoozed conversation. This module
never commits.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartinbox.config import Settings
from smartinbox.kit.subjects import normalise_subject
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AgentReply, Conversation, ConversationEvent, Message
from smartinbox.models.conversations import PRIORITY_RANK

REOPENED_FROM = ("pending", "snoozed", "solved", "closed")
# The spam probability from which a conversation is set aside as spam (as suggestions are).
SPAM_AT = 0.5


def priority_for(settings: Settings, kind: str, urgency: float) -> str:
    """The priority a triage implies: urgent, high, normal or low."""
    if kind == "urgent" or urgency >= settings.priority_urgent_at:
        return "urgent"
    if urgency >= settings.priority_high_at or kind == "complaint":
        return "high"
    if kind in ("casual", "spam"):
        return "low"
    return "normal"


def set_priority(settings: Settings, conversation: Conversation, priority: str) -> None:
    """Priority and the SLA due times that follow from it (the clocks keep their start)."""
    conversation.priority = priority
    conversation.priority_rank = PRIORITY_RANK[priority]
    if conversation.first_response_at is None:
        minutes = settings.sla_first_response_minutes(priority)
        conversation.first_response_due = conversation.first_message_at + timedelta(minutes=minutes)
    if conversation.status not in ("solved", "closed"):
        conversation.resolution_due = conversation.opened_at + timedelta(
            minutes=settings.sla_resolution_minutes(priority)
        )


def event(
    session: Session, conversation_id: int, name: str, actor_id: int | None, **data: object
) -> None:
    session.add(
        ConversationEvent(conversation_id=conversation_id, event=name, actor_id=actor_id, data=data)
    )


def _by_key(session: Session, channel: str, key: str) -> Conversation | None:
    return session.scalar(
        select(Conversation).where(Conversation.channel == channel, Conversation.thread_key == key)
    )


def _by_subject(
    session: Session, settings: Settings, message: Message, subject_key: str
) -> Conversation | None:
    if message.customer_id is None or settings.conversation_window_hours <= 0:
        return None
    since = message.received_at - timedelta(hours=settings.conversation_window_hours)
    return session.scalar(
        select(Conversation)
        .where(
            Conversation.customer_id == message.customer_id,
            Conversation.subject_key == subject_key,
            Conversation.last_message_at >= since,
            Conversation.first_message_at
            <= message.received_at + timedelta(hours=settings.conversation_window_hours),
        )
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(1)
    )


def _start(
    session: Session, settings: Settings, message: Message, key: str | None, subject_key: str
) -> Conversation:
    conversation = Conversation(
        channel=message.channel,
        thread_key=key,
        customer_id=message.customer_id,
        subject=message.subject,
        subject_key=subject_key,
        status="open",
        priority="normal",
        priority_rank=PRIORITY_RANK["normal"],
        priority_source="auto",
        tags=[],
        spam=False,
        message_count=0,
        first_message_at=message.received_at,
        last_message_at=message.received_at,
        opened_at=message.received_at,
    )
    if key is None:
        session.add(conversation)
        session.flush()
    else:
        # Two messages of a new thread can arrive at once; the unique key lets one create it.
        try:
            with session.begin_nested():
                session.add(conversation)
                session.flush()
        except IntegrityError:
            found = _by_key(session, message.channel, key)
            if found is None:
                raise
            return found
    set_priority(settings, conversation, "normal")
    event(session, conversation.id, "created", None, message_id=message.id)
    return conversation


def attach(
    session: Session, settings: Settings, message: Message, conversation_key: str | None
) -> Conversation:
    """Put a newly stored message into its conversation (found or started) and update it."""
    subject_key = normalise_subject(message.subject)
    conversation = None
    if conversation_key:
        conversation = _by_key(session, message.channel, conversation_key)
    else:
        conversation = _by_subject(session, settings, message, subject_key)
    if conversation is None:
        conversation = _start(session, settings, message, conversation_key, subject_key)
    add_message(session, settings, conversation, message)
    return conversation


def add_message(
    session: Session, settings: Settings, conversation: Conversation, message: Message
) -> None:
    message.conversation_id = conversation.id
    conversation.message_count += 1
    if message.received_at < conversation.first_message_at:
        conversation.first_message_at = message.received_at
    if conversation.message_count > 1:
        event(session, conversation.id, "message", None, message_id=message.id)
    if message.received_at >= conversation.last_message_at:
        conversation.last_message_at = message.received_at
        if conversation.status in REOPENED_FROM:
            reopen(settings, session, conversation, message)
    if conversation.customer_id is None and message.customer_id is not None:
        conversation.customer_id = message.customer_id


def reopen(
    settings: Settings, session: Session, conversation: Conversation, message: Message
) -> None:
    """The customer wrote again: the conversation is open and its resolution clock restarts."""
    previous = conversation.status
    conversation.status = "open"
    conversation.snoozed_until = None
    conversation.solved_at = None
    conversation.opened_at = message.received_at
    conversation.resolution_due = message.received_at + timedelta(
        minutes=settings.sla_resolution_minutes(conversation.priority)
    )
    event(session, conversation.id, "reopened", None, message_id=message.id, previous=previous)


def triaged(
    settings: Settings, conversation: Conversation, kind: str, urgency: float, spam: float
) -> None:
    """A message of the conversation was triaged: an automatic priority follows it, but a
    conversation keeps the most urgent priority any of its open messages implied."""
    if conversation.message_count <= 1 and (kind == "spam" or spam >= SPAM_AT):
        conversation.spam = True
    if conversation.priority_source != "auto":
        return
    implied = priority_for(settings, kind, urgency)
    if PRIORITY_RANK[implied] < conversation.priority_rank or conversation.message_count <= 1:
        set_priority(settings, conversation, implied)


def replied(conversation: Conversation, reply: AgentReply, message_id: int) -> None:
    """An agent answered: the first response is on record and the conversation waits on the
    customer (pending) unless an agent already solved, closed or snoozed it."""
    if conversation.first_response_at is None:
        conversation.first_response_at = reply.created_at or utcnow()
    if conversation.status == "open":
        conversation.status = "pending"
