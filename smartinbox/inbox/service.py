"""Ingest, listing and agent replies. Rules live here; this module never commits."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from smartinbox.config import Settings
from smartinbox.inbox import repository as repo
from smartinbox.inbox import threads
from smartinbox.inbox.schemas import (
    AgentReplyOut,
    AnalysisOut,
    CustomerOut,
    MessageDetailOut,
    MessageFilters,
    MessageIn,
    MessageOut,
    SuggestionOut,
)
from smartinbox.kit.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from smartinbox.kit.pagination import Page, clamp_page
from smartinbox.kit.text import levenshtein, looks_like_html, normalise_space, strip_control
from smartinbox.kit.timeutil import as_utc, outside_window, utcnow
from smartinbox.models import AgentReply, AIReply, Message, User


@dataclass
class IngestResult:
    message: Message
    created: bool


def _clean(value: str, field: str) -> str:
    # Lone surrogates can arrive through JSON escapes; they are not text and no database takes them.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationFailed(f"{field} is not valid UTF-8 text", field=field) from exc
    return strip_control(value)


def _check(data: MessageIn, settings: Settings, field_prefix: str = "") -> tuple[str, str]:
    body = _clean(data.body, f"{field_prefix}body")
    size = len(body.encode("utf-8"))
    if size > settings.max_body_bytes:
        raise PayloadTooLarge(
            f"{field_prefix}body is {size} bytes; the limit is {settings.max_body_bytes}",
            field=f"{field_prefix}body",
        )
    if not body.strip():
        raise ValidationFailed(f"{field_prefix}body must not be empty", field=f"{field_prefix}body")
    subject = _clean(data.subject or "", f"{field_prefix}subject")
    if data.received_at is not None:
        why = outside_window(
            data.received_at, settings.received_at_earliest, settings.received_at_max_future_s
        )
        if why:
            raise ValidationFailed(
                f"{field_prefix}received_at {why}", field=f"{field_prefix}received_at"
            )
    return body, subject


def _new_message(data: MessageIn, body: str, subject: str, source: str) -> Message:
    return Message(
        channel=data.channel,
        external_id=data.external_id,
        subject=subject,
        body=body,
        body_format="html" if looks_like_html(body) else "text",
        received_at=as_utc(data.received_at) if data.received_at else utcnow(),
        status="new",
        source=source,
    )


def _insert(
    session: Session, settings: Settings, data: MessageIn, body: str, subject: str, source: str
) -> IngestResult:
    message = _new_message(data, body, subject, source)
    if data.customer and (data.customer.email or data.customer.name):
        message.customer = repo.get_or_create_customer(
            session, data.customer.email, _clean(data.customer.name or "", "customer.name")
        )
    message, created = repo.insert_message_once(session, message)
    if created:
        repo.add_event(session, message.id, "received", None, source=source)
        threads.attach(session, settings, message, data.conversation_key)
    return IngestResult(message, created)


def ingest(
    session: Session, settings: Settings, data: MessageIn, *, source: str = "api"
) -> IngestResult:
    """Store one message; the same (channel, external_id) again returns the first one."""
    body, subject = _check(data, settings)
    existing = repo.find_message(session, data.channel, data.external_id)
    if existing is not None:
        return IngestResult(existing, False)
    return _insert(session, settings, data, body, subject, source)


def ingest_batch(
    session: Session, settings: Settings, items: Sequence[MessageIn], *, source: str = "api"
) -> list[IngestResult]:
    if len(items) > settings.max_batch:
        raise PayloadTooLarge(
            f"messages has {len(items)} items; the limit is {settings.max_batch} per batch",
            field="messages",
        )
    checked = [_check(item, settings, f"messages.{i}.") for i, item in enumerate(items)]
    existing = repo.find_messages(session, [(m.channel, m.external_id) for m in items])
    results: list[IngestResult] = []
    seen: dict[tuple[str, str], Message] = {}
    for item, (body, subject) in zip(items, checked, strict=True):
        key = (item.channel, item.external_id)
        if key in existing:
            results.append(IngestResult(existing[key], False))
            continue
        if key in seen:  # the same message twice in one batch
            results.append(IngestResult(seen[key], False))
            continue
        result = _insert(session, settings, item, body, subject, source)
        seen[key] = result.message
        results.append(result)
    return results


def message_out(message: Message, suggestion: AIReply | None) -> MessageOut:
    return MessageOut(
        id=message.id,
        channel=message.channel,
        external_id=message.external_id,
        subject=message.subject,
        body=message.body,
        body_format=message.body_format,
        status=message.status,
        received_at=message.received_at,
        created_at=message.created_at,
        customer=CustomerOut.model_validate(message.customer) if message.customer else None,
        assignee_id=message.assignee_id,
        conversation_id=message.conversation_id,
        analysis=AnalysisOut.model_validate(message.analysis) if message.analysis else None,
        suggestion=SuggestionOut.model_validate(suggestion) if suggestion else None,
    )


def message_view(session: Session, message: Message) -> MessageOut:
    return message_out(message, repo.current_reply(session, message.id))


def get_message(session: Session, message_id: int) -> Message:
    message = repo.get_message(session, message_id)
    if message is None:
        raise NotFound(f"message {message_id} does not exist", field="id")
    return message


def message_detail(session: Session, message_id: int) -> MessageDetailOut:
    message = get_message(session, message_id)
    out = message_out(message, repo.current_reply(session, message_id))
    replies = [AgentReplyOut.model_validate(r) for r in repo.agent_replies(session, message_id)]
    return MessageDetailOut(**out.model_dump(), replies=replies)


def list_messages(
    session: Session, settings: Settings, filters: MessageFilters, page: int, page_size: int
) -> Page[MessageOut]:
    page, page_size = clamp_page(page, page_size, settings.max_page_size)
    rows, total = repo.list_messages(session, filters, (page - 1) * page_size, page_size)
    replies = repo.current_replies(session, [m.id for m in rows])
    items = [message_out(m, replies.get(m.id)) for m in rows]
    return Page[MessageOut](items=items, total=total, page=page, page_size=page_size)


EDITED_MAX_CHANGE = 0.5


def classify_usage(ai_text: str | None, agent_text: str) -> tuple[str, int | None]:
    """How the agent's reply relates to the suggestion: unchanged, edited or replaced.

    "edited" means at most half of the suggestion's characters changed (edit distance over
    the longer text); beyond that the agent wrote their own reply.
    """
    if ai_text is None:
        return "none", None
    a, b = normalise_space(ai_text), normalise_space(agent_text)
    if a == b:
        return "unchanged", 0
    distance = levenshtein(a, b)
    ratio = difflib.SequenceMatcher(None, a.lower(), b.lower(), autojunk=False).ratio()
    if distance / max(len(a), len(b), 1) <= EDITED_MAX_CHANGE or ratio >= 1 - EDITED_MAX_CHANGE:
        return "edited", distance
    return "replaced", distance


def record_reply(
    session: Session,
    message_id: int,
    text: str,
    author: User | None,
    idempotency_key: str | None = None,
    macro_id: int | None = None,
) -> AgentReply:
    """The agent's final reply: stored, classified against the suggestion, message replied.

    With an idempotency key, a send that was already stored (a retry, a double click) returns
    the stored reply and changes nothing.
    """
    message = get_message(session, message_id)
    text = _clean(text, "text")
    if not text.strip():
        raise ValidationFailed("text must not be empty", field="text")
    if idempotency_key:
        earlier = repo.reply_by_key(session, idempotency_key)
        if earlier is not None:
            if earlier.message_id != message.id:
                raise Conflict(
                    "idempotency_key was already used for a reply to another message",
                    field="idempotency_key",
                )
            return earlier
    suggestion = repo.current_reply(session, message_id)
    usage, distance = classify_usage(suggestion.text if suggestion else None, text)
    reply = AgentReply(
        message_id=message.id,
        ai_reply_id=suggestion.id if suggestion else None,
        author_id=author.id if author else None,
        text=text,
        usage=usage,
        edit_distance=distance,
        idempotency_key=idempotency_key,
        macro_id=macro_id,
    )
    if idempotency_key:
        stored, created = repo.insert_reply_once(session, reply)
        if not created:
            return stored
    else:
        repo.add(session, reply)
    if suggestion is not None and suggestion.reviewed_at is None:
        suggestion.reviewed_at = utcnow()
    message.status = "replied"
    repo.add_event(
        session,
        message.id,
        "replied",
        author.id if author else None,
        usage=usage,
        reply_id=reply.id,
    )
    if message.conversation_id is not None:
        conversation = repo.get_conversation(session, message.conversation_id)
        if conversation is not None:
            threads.replied(conversation, reply, message.id)
            threads.event(
                session,
                conversation.id,
                "replied",
                author.id if author else None,
                message_id=message.id,
                reply_id=reply.id,
                usage=usage,
            )
    return reply
