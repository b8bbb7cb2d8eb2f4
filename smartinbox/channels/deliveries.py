"""Agent replies to e-mail conversations reach the customer: planned when the reply is
committed (a session hook in tasks.py, so every way of replying is covered), sent by a job,
exactly once.

Exactly once: one delivery row per reply and channel (unique), and a send starts only after
the row is claimed in its own transaction (a lease on `next_attempt_at`), so two workers
never send the same delivery at once. A worker killed mid-send leaves the lease to expire;
the periodic sweep then tries again with the same Message-ID, so the customer's client shows
one mail even in that case.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from smartinbox.channels import email_out
from smartinbox.channels import repository as repo
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.kit.errors import Conflict, NotFound
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AgentReply, Message, ReplyDelivery

log = logging.getLogger(__name__)


def plan(session: Session, settings: Settings, reply_ids: list[int]) -> list[ReplyDelivery]:
    """A delivery for each new reply to a message that came by e-mail: queued, or failed
    with the reason when the mail must not be answered. The caller queues the jobs."""
    if not settings.email_replies:
        return []
    planned = []
    for reply_id in dict.fromkeys(reply_ids):
        reply = session.get(AgentReply, reply_id)
        if reply is None or repo.delivery_for(session, reply_id, "email") is not None:
            continue
        email = repo.email_for_message(session, reply.message_id)
        if email is None:
            continue
        delivery = ReplyDelivery(
            agent_reply_id=reply_id,
            channel="email",
            status="queued",
            recipient=email.from_address,
            rfc_message_id=email_out.new_message_id(settings),
            attempts=0,
        )
        if email.automated:
            delivery.status = "failed"
            delivery.last_error = (
                f"not sent: the customer's mail is automated ({email.automated_reason}); "
                "automated mail is never answered by e-mail"
            )
        elif not email.from_address:
            delivery.status = "failed"
            delivery.last_error = "not sent: the customer's mail has no sender address"
        repo.add(session, delivery)
        planned.append(delivery)
    return planned


def _claim(settings: Settings, delivery_id: int) -> bool:
    """Take the delivery for one try; False when it is sent, failed, or another try holds it."""
    now = utcnow()
    lease = timedelta(seconds=settings.smtp_timeout_s * 4 + 60)
    with session_scope(settings) as session:
        result = session.execute(
            update(ReplyDelivery)
            .where(
                ReplyDelivery.id == delivery_id,
                ReplyDelivery.status == "queued",
                or_(ReplyDelivery.next_attempt_at.is_(None), ReplyDelivery.next_attempt_at <= now),
            )
            .values(next_attempt_at=now + lease, attempts=ReplyDelivery.attempts + 1)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def attempt(settings: Settings, delivery_id: int) -> float | None:
    """One try of a delivery. Returns the seconds until the next try, or None when done.

    The SMTP conversation runs outside any transaction: on SQLite a write transaction held
    through a slow server would stop every other writer."""
    if not _claim(settings, delivery_id):
        return None
    with session_scope(settings, write=False) as session:
        delivery = session.get(ReplyDelivery, delivery_id)
        reply = session.get(AgentReply, delivery.agent_reply_id) if delivery else None
        message = session.get(Message, reply.message_id) if reply else None
        email = repo.email_for_message(session, message.id) if message else None
        if delivery is None or reply is None or message is None or email is None:
            return None
        mail = email_out.build_reply(
            settings, message, email, reply.text, delivery.rfc_message_id or ""
        )
    failure: email_out.SendFailure | None = None
    try:
        email_out.send(settings, mail)
    except email_out.SendFailure as exc:
        failure = exc
    return _record(settings, delivery_id, failure)


def _record(
    settings: Settings, delivery_id: int, failure: email_out.SendFailure | None
) -> float | None:
    with session_scope(settings) as session:
        delivery = session.get(ReplyDelivery, delivery_id)
        if delivery is None:
            return None
        if failure is None:
            delivery.status = "sent"
            delivery.sent_at = utcnow()
            delivery.next_attempt_at = None
            delivery.last_error = None
            return None
        delivery.last_error = failure.reason
        if failure.temporary and delivery.attempts < settings.delivery_max_attempts:
            delay = float(settings.delivery_backoff_s * 2 ** (delivery.attempts - 1))
            delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
            log.warning(
                "reply delivery failed, will retry",
                extra={"delivery_id": delivery_id, "reason": failure.reason, "delay": delay},
            )
            return delay
        delivery.status = "failed"
        delivery.next_attempt_at = None
        log.warning(
            "reply delivery failed", extra={"delivery_id": delivery_id, "reason": failure.reason}
        )
        return None


def due(session: Session, limit: int = 200) -> list[int]:
    """Queued deliveries whose retry time (or lease) has passed, or that never got a try."""
    now = utcnow()
    return list(
        session.scalars(
            select(ReplyDelivery.id)
            .where(
                ReplyDelivery.status == "queued",
                or_(
                    ReplyDelivery.next_attempt_at <= now,
                    (ReplyDelivery.next_attempt_at.is_(None))
                    & (ReplyDelivery.created_at <= now - timedelta(minutes=1)),
                ),
            )
            .order_by(ReplyDelivery.id)
            .limit(limit)
        )
    )


def retry(session: Session, delivery_id: int) -> ReplyDelivery:
    """A failed delivery queued again (the same Message-ID); a sent one is not sent twice.
    The caller queues the job."""
    delivery = session.get(ReplyDelivery, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} does not exist", field="id")
    if delivery.status == "sent":
        raise Conflict("the reply was already delivered", field="status")
    if delivery.status == "queued":
        return delivery
    email = repo.email_for_reply(session, delivery.agent_reply_id)
    if email is None or email.automated or not email.from_address:
        raise Conflict(delivery.last_error or "this reply cannot be sent by e-mail", field="status")
    delivery.status = "queued"
    delivery.attempts = 0
    delivery.next_attempt_at = None
    session.flush()
    return delivery
