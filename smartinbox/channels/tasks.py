"""Jobs of the channels domain, and the hook that plans a delivery for every new reply.

The hook runs at the commit of any session that stored an agent reply (the API, the pages,
the CLI), so no way of replying can skip the e-mail to the customer.
"""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from smartinbox.channels import deliveries
from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.models import AgentReply
from smartinbox.worker import enqueue, huey

log = logging.getLogger(__name__)
_NEW_REPLIES = "channels.new_replies"


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


@event.listens_for(Session, "after_flush")
def _note_new_replies(session: Session, _context: object) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, AgentReply)]
    if ids:
        session.info.setdefault(_NEW_REPLIES, []).extend(ids)


@event.listens_for(Session, "before_commit")
def _plan_on_commit(session: Session) -> None:
    if not session.info.get(_NEW_REPLIES):
        return
    session.flush()
    ids: list[int] = session.info.pop(_NEW_REPLIES, [])
    for delivery in deliveries.plan(session, get_settings(), ids):
        if delivery.status == "queued":
            enqueue(session, send_reply_email, delivery.id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _previous: object) -> None:
    session.info.pop(_NEW_REPLIES, None)
