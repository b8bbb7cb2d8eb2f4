"""All SQL of the channels domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinbox.models import (
    AgentReply,
    Conversation,
    EmailAttachment,
    EmailMessage,
    Message,
    ReplyDelivery,
)


def thread_key_of(session: Session, message_ids: Sequence[str]) -> str | None:
    """The thread key of the conversation of the latest stored mail among `message_ids`, or
    of the conversation one of our sent replies among them answered."""
    if not message_ids:
        return None
    row = session.execute(
        select(Conversation.thread_key, Message.external_id)
        .join(Message, Message.conversation_id == Conversation.id)
        .where(Message.channel == "email", Message.external_id.in_(list(message_ids)))
        .order_by(Message.received_at.desc())
        .limit(1)
    ).first()
    if row is not None and row[0]:
        return row[0]
    # An answer to one of our e-mailed replies that names only its Message-ID.
    ours = session.execute(
        select(Conversation.thread_key)
        .join(Message, Message.conversation_id == Conversation.id)
        .join(AgentReply, AgentReply.message_id == Message.id)
        .join(ReplyDelivery, ReplyDelivery.agent_reply_id == AgentReply.id)
        .where(ReplyDelivery.rfc_message_id.in_(list(message_ids)))
        .limit(1)
    ).first()
    return ours[0] if ours is not None and ours[0] else None


def email_for_message(session: Session, message_id: int) -> EmailMessage | None:
    return session.scalar(select(EmailMessage).where(EmailMessage.message_id == message_id))


def emails_for_messages(session: Session, message_ids: Sequence[int]) -> dict[int, EmailMessage]:
    if not message_ids:
        return {}
    rows = session.scalars(
        select(EmailMessage).where(EmailMessage.message_id.in_(list(message_ids)))
    )
    return {row.message_id: row for row in rows}


def attachments(session: Session, email_ids: Sequence[int]) -> list[EmailAttachment]:
    if not email_ids:
        return []
    return list(
        session.scalars(
            select(EmailAttachment)
            .where(EmailAttachment.email_id.in_(list(email_ids)))
            .order_by(EmailAttachment.id)
        )
    )


def get_attachment(session: Session, attachment_id: int) -> EmailAttachment | None:
    return session.get(EmailAttachment, attachment_id)


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def delivery_for(session: Session, reply_id: int, channel: str) -> ReplyDelivery | None:
    return session.scalar(
        select(ReplyDelivery).where(
            ReplyDelivery.agent_reply_id == reply_id, ReplyDelivery.channel == channel
        )
    )


def email_for_reply(session: Session, reply_id: int) -> EmailMessage | None:
    return session.scalar(
        select(EmailMessage)
        .join(AgentReply, AgentReply.message_id == EmailMessage.message_id)
        .where(AgentReply.id == reply_id)
    )


def deliveries_for_replies(session: Session, reply_ids: Sequence[int]) -> list[ReplyDelivery]:
    if not reply_ids:
        return []
    return list(
        session.scalars(
            select(ReplyDelivery)
            .where(ReplyDelivery.agent_reply_id.in_(list(reply_ids)))
            .order_by(ReplyDelivery.id)
        )
    )
