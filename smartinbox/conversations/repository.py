"""All SQL of the conversations domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, String, case, cast, func, select
from sqlalchemy.orm import Session, selectinload

from smartinbox.conversations.schemas import ConversationFilters
from smartinbox.models import (
    AgentReply,
    Conversation,
    ConversationEvent,
    ConversationNote,
    Customer,
    Message,
    User,
)

ACTIVE = ("open", "pending")


def due_at() -> ColumnElement[datetime | None]:
    """The next SLA target still running: first response until answered, then resolution."""
    return case(
        (Conversation.first_response_at.is_(None), Conversation.first_response_due),
        else_=Conversation.resolution_due,
    )


def list_conversations(
    session: Session, filters: ConversationFilters, user_id: int, offset: int, limit: int
) -> tuple[list[Conversation], int]:
    stmt = select(Conversation).where(Conversation.spam.is_(filters.spam))
    if filters.status == "active":
        stmt = stmt.where(Conversation.status.in_(ACTIVE))
    elif filters.status != "all":
        stmt = stmt.where(Conversation.status == filters.status)
    if filters.assignee == "mine":
        stmt = stmt.where(Conversation.assignee_id == user_id)
    elif filters.assignee == "unassigned":
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    if filters.priority:
        stmt = stmt.where(Conversation.priority == filters.priority)
    if filters.tag:
        # Tags are checked to letters, digits, space, '_' and '-', so the quoted tag can only
        # match a whole element of the JSON list.
        stmt = stmt.where(cast(Conversation.tags, String).like(f'%"{filters.tag}"%'))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    due = due_at()
    rows = session.scalars(
        stmt.order_by(
            Conversation.priority_rank,
            Conversation.assignee_id.is_not(None),  # unassigned first
            due.is_(None),
            due,
            Conversation.last_message_at.desc(),
            Conversation.id.desc(),
        )
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total)


def get(session: Session, conversation_id: int, *, lock: bool = False) -> Conversation | None:
    stmt = select(Conversation).where(Conversation.id == conversation_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def get_many(session: Session, ids: Sequence[int]) -> list[Conversation]:
    return list(
        session.scalars(
            select(Conversation).where(Conversation.id.in_(ids)).order_by(Conversation.id)
        )
    )


def customers(session: Session, ids: set[int]) -> dict[int, Customer]:
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}


def users(session: Session, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def active_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.email)))


def latest_previews(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """The start of each conversation's latest customer message."""
    if not ids:
        return {}
    latest = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(ids))
        .group_by(Message.conversation_id)
    )
    rows = session.execute(
        select(Message.conversation_id, func.substr(Message.body, 1, 160)).where(
            Message.id.in_(latest)
        )
    )
    return {int(cid): str(text) for cid, text in rows if cid is not None}


def messages(session: Session, conversation_id: int) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .options(selectinload(Message.customer))
            .order_by(Message.received_at, Message.id)
        )
    )


def replies(session: Session, message_ids: Sequence[int]) -> list[AgentReply]:
    if not message_ids:
        return []
    return list(
        session.scalars(
            select(AgentReply)
            .where(AgentReply.message_id.in_(message_ids))
            .order_by(AgentReply.created_at, AgentReply.id)
        )
    )


def notes(session: Session, conversation_id: int) -> list[ConversationNote]:
    return list(
        session.scalars(
            select(ConversationNote)
            .where(ConversationNote.conversation_id == conversation_id)
            .order_by(ConversationNote.id)
        )
    )


def events(session: Session, conversation_id: int) -> list[ConversationEvent]:
    return list(
        session.scalars(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == conversation_id)
            .order_by(ConversationEvent.id)
        )
    )


def due_snoozed(session: Session, now: datetime, limit: int) -> list[Conversation]:
    return list(
        session.scalars(
            select(Conversation)
            .where(Conversation.status == "snoozed", Conversation.snoozed_until <= now)
            .order_by(Conversation.snoozed_until, Conversation.id)
            .limit(limit)
        )
    )


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def sla_rows(
    session: Session, start: datetime, end: datetime
) -> list[
    tuple[
        datetime,
        datetime,
        datetime | None,
        datetime | None,
        datetime | None,
        datetime | None,
        str,
    ]
]:
    """SLA columns of the conversations that started in [start, end), spam left out."""
    query = select(
        Conversation.first_message_at,
        Conversation.opened_at,
        Conversation.first_response_at,
        Conversation.first_response_due,
        Conversation.solved_at,
        Conversation.resolution_due,
        Conversation.status,
    ).where(
        Conversation.first_message_at >= start,
        Conversation.first_message_at < end,
        Conversation.spam.is_(False),
    )
    return [tuple(r) for r in session.execute(query)]  # type: ignore[misc]


def updated_since(session: Session, since: datetime) -> int:
    """Conversations (spam left out) with a customer message after `since`."""
    query = (
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.last_message_at > since, Conversation.spam.is_(False))
    )
    return int(session.scalar(query) or 0)
