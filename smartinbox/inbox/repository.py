"""All SQL of the inbox: customers, messages, analyses, replies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from smartinbox.inbox.schemas import MessageFilters
from smartinbox.kit.text import html_to_text
from smartinbox.models import (
    AgentReply,
    AIReply,
    Analysis,
    Conversation,
    Customer,
    LabelCorrection,
    Message,
    MessageEvent,
)


def find_message(session: Session, channel: str, external_id: str) -> Message | None:
    return session.scalar(
        select(Message).where(Message.channel == channel, Message.external_id == external_id)
    )


def find_messages(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Message]:
    found: dict[tuple[str, str], Message] = {}
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id)
    for channel, ids in by_channel.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = session.scalars(
                select(Message).where(Message.channel == channel, Message.external_id.in_(chunk))
            )
            for msg in rows:
                found[(msg.channel, msg.external_id)] = msg
    return found


def insert_message_once(session: Session, message: Message) -> tuple[Message, bool]:
    """Insert, or return the row that won a concurrent race for (channel, external_id)."""
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
        return message, True
    except IntegrityError:
        existing = find_message(session, message.channel, message.external_id)
        if existing is None:
            raise
        return existing, False


def get_or_create_customer(session: Session, email: str | None, name: str | None) -> Customer:
    if email:
        customer = session.scalar(select(Customer).where(Customer.email == email))
        if customer is not None:
            if name and not customer.name:
                customer.name = name
            return customer
        try:
            with session.begin_nested():
                customer = Customer(email=email, name=name or "")
                session.add(customer)
                session.flush()
            return customer
        except IntegrityError:
            found = session.scalar(select(Customer).where(Customer.email == email))
            if found is None:
                raise
            return found
    customer = Customer(email=None, name=name or "")
    session.add(customer)
    session.flush()
    return customer


def get_message(session: Session, message_id: int) -> Message | None:
    return session.scalar(
        select(Message).where(Message.id == message_id).options(selectinload(Message.customer))
    )


def current_reply(session: Session, message_id: int) -> AIReply | None:
    return session.scalar(
        select(AIReply).where(AIReply.message_id == message_id, AIReply.is_current.is_(True))
    )


def current_replies(session: Session, message_ids: Sequence[int]) -> dict[int, AIReply]:
    if not message_ids:
        return {}
    rows = session.scalars(
        select(AIReply).where(AIReply.message_id.in_(message_ids), AIReply.is_current.is_(True))
    )
    return {r.message_id: r for r in rows}


def agent_replies(session: Session, message_id: int) -> list[AgentReply]:
    return list(
        session.scalars(
            select(AgentReply)
            .where(AgentReply.message_id == message_id)
            .order_by(AgentReply.created_at, AgentReply.id)
        )
    )


def _filtered(stmt: Select[Message], filters: MessageFilters) -> Select[Message]:
    if filters.status:
        stmt = stmt.where(Message.status == filters.status)
    if filters.kind or filters.topic or filters.min_urgency is not None:
        stmt = stmt.join(Analysis, Analysis.message_id == Message.id)
        if filters.kind:
            stmt = stmt.where(Analysis.kind == filters.kind)
        if filters.topic:
            stmt = stmt.where(Analysis.topic == filters.topic)
        if filters.min_urgency is not None:
            stmt = stmt.where(Analysis.urgency >= filters.min_urgency)
    if filters.snoozed is not None:
        snoozed = exists().where(
            AIReply.message_id == Message.id,
            AIReply.is_current.is_(True),
            AIReply.snoozed.is_(True),
        )
        stmt = stmt.where(snoozed if filters.snoozed else ~snoozed)
    if filters.q:
        pattern = f"%{filters.q.strip()}%"
        stmt = stmt.where(or_(Message.subject.ilike(pattern), Message.body.ilike(pattern)))
    return stmt


def list_messages(
    session: Session, filters: MessageFilters, offset: int, limit: int
) -> tuple[list[Message], int]:
    base = _filtered(select(Message), filters)
    total = session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0
    rows = session.scalars(
        base.options(selectinload(Message.customer))
        .order_by(Message.received_at.desc(), Message.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total)


def messages_for_analysis(session: Session, message_ids: Sequence[int]) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.id.in_(message_ids))
            .options(selectinload(Message.customer))
            .order_by(Message.id)
        )
    )


def add_all(session: Session, rows: Sequence[object]) -> None:
    session.add_all(rows)
    session.flush()


def retire_current_reply(session: Session, message_id: int) -> None:
    session.execute(
        update(AIReply)
        .where(AIReply.message_id == message_id, AIReply.is_current.is_(True))
        .values(is_current=False)
    )


def reply_by_key(session: Session, idempotency_key: str) -> AgentReply | None:
    return session.scalar(select(AgentReply).where(AgentReply.idempotency_key == idempotency_key))


def insert_reply_once(session: Session, reply: AgentReply) -> tuple[AgentReply, bool]:
    """Insert, or return the reply a concurrent send with the same idempotency key stored."""
    try:
        with session.begin_nested():
            session.add(reply)
            session.flush()
        return reply, True
    except IntegrityError:
        assert reply.idempotency_key is not None
        existing = reply_by_key(session, reply.idempotency_key)
        if existing is None:
            raise
        return existing, False


def get_conversation(session: Session, conversation_id: int) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def get_conversations(session: Session, ids: Iterable[int]) -> dict[int, Conversation]:
    wanted = sorted(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Conversation).where(Conversation.id.in_(wanted)))
    return {c.id: c for c in rows}


def conversation_turns(
    session: Session, conversation_ids: Sequence[int]
) -> dict[int, list[tuple[datetime, int, str, str, str]]]:
    """Every customer message and agent reply of the conversations, oldest first, as
    (at, message id, role, ref, text) per conversation."""
    if not conversation_ids:
        return {}
    out: dict[int, list[tuple[datetime, int, str, str, str]]] = {}
    messages = session.execute(
        select(
            Message.conversation_id,
            Message.received_at,
            Message.id,
            Message.subject,
            Message.body,
            Message.body_format,
        ).where(Message.conversation_id.in_(conversation_ids))
    )
    for cid, at, mid, subject, body, fmt in messages:
        if cid is None:
            continue
        text = html_to_text(body) if fmt == "html" else body
        full = f"{subject}\n{text}".strip() if subject else text
        out.setdefault(cid, []).append((at, mid, "customer", f"message:{mid}", full))
    replies = session.execute(
        select(
            Message.conversation_id,
            AgentReply.created_at,
            AgentReply.id,
            AgentReply.text,
            Message.id,
        )
        .join(Message, Message.id == AgentReply.message_id)
        .where(Message.conversation_id.in_(conversation_ids))
    )
    for cid, at, rid, text, mid in replies:
        if cid is None:
            continue
        out.setdefault(cid, []).append((at, mid, "agent", f"reply:{rid}", text))
    for turns in out.values():
        turns.sort(key=lambda t: (t[0], t[1], t[2] == "agent"))
    return out


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def add_event(
    session: Session, message_id: int, event: str, actor_id: int | None, **data: object
) -> None:
    session.add(MessageEvent(message_id=message_id, event=event, actor_id=actor_id, data=data))


def untriaged_ids(session: Session, created_before: datetime, limit: int) -> list[int]:
    """Messages still missing an analysis or a current suggestion (lost or failed jobs)."""
    no_analysis = ~exists().where(Analysis.message_id == Message.id)
    no_reply = ~exists().where(and_(AIReply.message_id == Message.id, AIReply.is_current))
    stmt = (
        select(Message.id)
        .where(Message.created_at < created_before, or_(no_analysis, no_reply))
        .order_by(Message.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Message.status, func.count()).group_by(Message.status))
    return {status: int(count) for status, count in rows}


def snoozed_queue(session: Session, offset: int, limit: int) -> tuple[list[AIReply], int]:
    cond = and_(
        AIReply.is_current.is_(True), AIReply.snoozed.is_(True), AIReply.reviewed_at.is_(None)
    )
    total = session.scalar(select(func.count()).select_from(AIReply).where(cond)) or 0
    rows = session.scalars(
        select(AIReply).where(cond).order_by(AIReply.created_at.desc()).offset(offset).limit(limit)
    )
    return list(rows), int(total)


def get_analysis(session: Session, message_id: int) -> Analysis | None:
    return session.scalar(select(Analysis).where(Analysis.message_id == message_id))


def corrected_labels(session: Session, field: str) -> list[tuple[str, str, str]]:
    """(subject, body, value) of every message's latest correction of `field`."""
    latest = (
        select(func.max(LabelCorrection.id))
        .where(LabelCorrection.field == field)
        .group_by(LabelCorrection.message_id)
    )
    rows = session.execute(
        select(Message.subject, Message.body, LabelCorrection.value)
        .join(Message, Message.id == LabelCorrection.message_id)
        .where(LabelCorrection.id.in_(latest))
        .order_by(LabelCorrection.id)
    )
    return [(subject or "", body, value) for subject, body, value in rows]


def latest_corrections(
    session: Session, field: str, limit: int | None = None
) -> list[tuple[str, str, str, datetime]]:
    """(subject, body, value, corrected at) of every message's latest correction of `field`,
    newest first."""
    latest = (
        select(func.max(LabelCorrection.id))
        .where(LabelCorrection.field == field)
        .group_by(LabelCorrection.message_id)
    )
    stmt = (
        select(Message.subject, Message.body, LabelCorrection.value, LabelCorrection.created_at)
        .join(Message, Message.id == LabelCorrection.message_id)
        .where(LabelCorrection.id.in_(latest))
        .order_by(LabelCorrection.id.desc())
        .limit(limit)
    )
    return [(subject or "", body, value, at) for subject, body, value, at in session.execute(stmt)]


def _imported_label_filter(
    field: str,
) -> tuple[InstrumentedAttribute[str | None], ColumnElement[bool]]:
    column = Message.label_topic if field == "topic" else Message.label_kind
    corrected = select(LabelCorrection.message_id).where(LabelCorrection.field == field)
    return column, and_(column.is_not(None), column != "", Message.id.not_in(corrected))


def imported_labels(
    session: Session, field: str, limit: int
) -> list[tuple[str, str, str, datetime]]:
    """(subject, body, label, received at) of messages imported with a `field` label that no
    agent corrected, newest first."""
    column, where = _imported_label_filter(field)
    stmt = (
        select(Message.subject, Message.body, column, Message.received_at)
        .where(where)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return [
        (subject or "", body, str(label), at) for subject, body, label, at in session.execute(stmt)
    ]


def count_imported_labels(session: Session, field: str) -> int:
    _column, where = _imported_label_filter(field)
    stmt = select(func.count()).select_from(Message).where(where)
    return int(session.scalar(stmt) or 0)


def known_labels(session: Session, field: str) -> list[str]:
    """Every value of `field` (topic or kind) that a triage, an imported label or a correction
    has used."""
    analysed = Analysis.topic if field == "topic" else Analysis.kind
    imported = Message.label_topic if field == "topic" else Message.label_kind
    found: set[str] = set(session.scalars(select(analysed).distinct()))
    found |= {v for v in session.scalars(select(imported).distinct()) if v}
    found |= set(
        session.scalars(
            select(LabelCorrection.value).where(LabelCorrection.field == field).distinct()
        )
    )
    return sorted(found)
