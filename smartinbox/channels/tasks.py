"""Jobs of the channels domain, and the hook that plans a delivery for every new reply.

The hook runs at the commit of any session that stored an agent reply (the API, the pages,
the CLI), so no way of replying can skip the e-mail to the customer.
"""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from smartinbox.channels import deliveries, webhooks
from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.models import AgentReply, AIReply, Analysis, ConversationEvent, Message
from smartinbox.worker import enqueue, huey

log = logging.getLogger(__name__)
_NEW_REPLIES = "channels.new_replies"
_NEW_EVENTS = "channels.new_events"


@huey.task(name="channels.send_reply_email")
def send_reply_email(delivery_id: int) -> None:
    """One try of an e-mail reply; after a temporary failure the next try is scheduled."""
    delay = deliveries.attempt(get_settings(), delivery_id)
    if delay is not None:
        send_reply_email.schedule(args=(delivery_id,), delay=delay)


@huey.periodic_task(crontab(minute="*"), name="channels.resend_due")
def resend_due() -> int:
    """Try deliveries whose retry is due or whose try was cut off (a worker killed mid-send)."""
    with session_scope(get_settings()) as session:
        ids = deliveries.due(session)
    for delivery_id in ids:
        send_reply_email(delivery_id)
    return len(ids)


@huey.task(name="channels.deliver_webhook")
def deliver_webhook(delivery_id: int) -> None:
    """One POST of a webhook event; after a failure the next try is scheduled."""
    delay = webhooks.attempt(get_settings(), delivery_id)
    if delay is not None:
        deliver_webhook.schedule(args=(delivery_id,), delay=delay)


@huey.periodic_task(crontab(minute="*"), name="channels.redeliver_webhooks")
def redeliver_webhooks() -> int:
    """Webhook deliveries whose retry is due or whose try was cut off."""
    with session_scope(get_settings()) as session:
        ids = webhooks.due(session)
    for delivery_id in ids:
        deliver_webhook(delivery_id)
    return len(ids)


_WATCHED = (Message, Analysis, AIReply, AgentReply, ConversationEvent)


def _event_of(obj: object) -> tuple[str, dict[str, object]] | None:
    """The webhook event a newly stored row stands for, with its data (read at commit)."""
    if isinstance(obj, Message):
        return "message.created", {
            "message_id": obj.id,
            "conversation_id": obj.conversation_id,
            "channel": obj.channel,
            "external_id": obj.external_id,
            "subject": obj.subject,
        }
    if isinstance(obj, Analysis):
        return "message.analysed", {
            "message_id": obj.message_id,
            "kind": obj.kind,
            "topic": obj.topic,
            "urgency": obj.urgency,
            "spam": obj.spam,
            "language": obj.language,
        }
    if isinstance(obj, AIReply):
        return "suggestion.created", {
            "message_id": obj.message_id,
            "suggestion_id": obj.id,
            "confidence": obj.confidence,
            "snoozed": obj.snoozed,
        }
    if isinstance(obj, AgentReply):
        return "reply.sent", {
            "reply_id": obj.id,
            "message_id": obj.message_id,
            "author_id": obj.author_id,
            "text": obj.text,
        }
    if isinstance(obj, ConversationEvent) and obj.event in ("status", "reopened"):
        return "conversation.status_changed", {
            "conversation_id": obj.conversation_id,
            "change": obj.event,
            **obj.data,
        }
    return None


@event.listens_for(Session, "after_flush")
def _note_new_rows(session: Session, _context: object) -> None:
    new = [obj for obj in session.new if isinstance(obj, _WATCHED)]
    if not new:
        return
    session.info.setdefault(_NEW_EVENTS, []).extend(new)
    ids = [obj.id for obj in new if isinstance(obj, AgentReply)]
    if ids:
        session.info.setdefault(_NEW_REPLIES, []).extend(ids)


@event.listens_for(Session, "before_commit")
def _plan_on_commit(session: Session) -> None:
    if not session.info.get(_NEW_REPLIES) and not session.info.get(_NEW_EVENTS):
        return
    session.flush()
    ids: list[int] = session.info.pop(_NEW_REPLIES, [])
    rows: list[object] = session.info.pop(_NEW_EVENTS, [])
    for delivery in deliveries.plan(session, get_settings(), ids):
        if delivery.status == "queued":
            enqueue(session, send_reply_email, delivery.id)
    events = [e for e in map(_event_of, rows) if e is not None]
    if events and webhooks.any_active(session):
        for name, data in events:
            for webhook in webhooks.queue_event(session, name, data):
                enqueue(session, deliver_webhook, webhook.id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _previous: object) -> None:
    session.info.pop(_NEW_REPLIES, None)
    session.info.pop(_NEW_EVENTS, None)
