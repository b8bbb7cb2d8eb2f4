"""What the conversation page shows of the channels: delivery state, e-mail files and flags."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from smartinbox.channels import deliveries, email_in
from smartinbox.channels import repository as repo
from smartinbox.channels.schemas import DeliveryOut, EmailOut
from smartinbox.channels.tasks import send_reply_email
from smartinbox.worker import enqueue


def deliveries_by_reply(session: Session, reply_ids: Sequence[int]) -> dict[int, DeliveryOut]:
    return {
        d.agent_reply_id: DeliveryOut.model_validate(d)
        for d in repo.deliveries_for_replies(session, reply_ids)
    }


def emails_by_message(session: Session, message_ids: Sequence[int]) -> dict[int, EmailOut]:
    return {
        message_id: email_in.email_out(session, email)
        for message_id, email in repo.emails_for_messages(session, message_ids).items()
    }


def retry(session: Session, delivery_id: int) -> DeliveryOut:
    delivery = deliveries.retry(session, delivery_id)
    enqueue(session, send_reply_email, delivery.id)
    return DeliveryOut.model_validate(delivery)
