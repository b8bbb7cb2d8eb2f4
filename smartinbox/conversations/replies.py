"""Replying to a conversation: the reply goes to its latest customer message; a macro's actions
(status, tags) follow it; a reply that solves the conversation invites the customer to rate it.
The JSON API and the composer both send through `send`. Never commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartinbox.config import Settings
from smartinbox.conversations import repository as repo
from smartinbox.conversations import service
from smartinbox.csat import service as csat
from smartinbox.inbox import service as inbox_service
from smartinbox.kit.errors import ValidationFailed
from smartinbox.macros import service as macros
from smartinbox.macros.schemas import RenderedMacro
from smartinbox.models import AgentReply, Message, User

SOLVING = ("solved", "closed")


def latest_message(session: Session, conversation_id: int) -> Message:
    messages = repo.messages(session, conversation_id)
    if not messages:
        raise ValidationFailed("the conversation has no message to answer", field="text")
    return messages[-1]


def render_macro(session: Session, conversation_id: int, macro_id: int) -> RenderedMacro:
    """A macro filled for the conversation's latest customer message."""
    c = service.get_conversation(session, conversation_id)
    macro = macros.get_macro(session, macro_id, field="macro_id")
    message = latest_message(session, c.id)
    customer = (
        repo.customers(session, {c.customer_id}).get(c.customer_id) if c.customer_id else None
    )
    return macros.render(macro, message.body, customer.name if customer else None)


def send(
    session: Session,
    settings: Settings,
    conversation_id: int,
    text: str,
    author: User,
    *,
    idempotency_key: str | None = None,
    macro_id: int | None = None,
    status: str | None = None,
) -> AgentReply:
    """Store the reply; then the status (`status`, else the macro's) and the macro's tags."""
    c = service.get_conversation(session, conversation_id, lock=True)
    message = latest_message(session, c.id)
    macro = macros.get_macro(session, macro_id, field="macro_id") if macro_id else None
    target = status or (macro.set_status if macro else None)
    reply = inbox_service.record_reply(
        session, message.id, text, author, idempotency_key, macro_id=macro.id if macro else None
    )
    if target in SOLVING:
        service.set_status(session, c, target, author)
        assert c.solved_at is not None
        # The invitation is added after the reply is compared with the suggestion, so the
        # AI-usage figures judge what the agent wrote.
        reply.text = csat.with_link(settings, reply.text, c.id, c.solved_at)
    if target and target not in SOLVING:
        service.set_status(session, c, target, author)
    if macro is not None and macro.add_tags:
        merged = sorted({*(c.tags or []), *macro.add_tags})
        service.set_tags(session, c, merged, author)
    session.flush()
    return reply
