"""The agent's workflow on conversations: list by priority, read, change status, assignee,
tags and priority, write internal notes, act on many at once. Every change is an event with
its actor. This module never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from smartinbox.config import Settings
from smartinbox.conversations import repository as repo
from smartinbox.conversations.schemas import (
    BulkIn,
    BulkOut,
    ConversationDetailOut,
    ConversationFilters,
    ConversationOut,
    ConversationPatch,
    EventOut,
    NoteOut,
    SlaOut,
)
from smartinbox.inbox import repository as inbox_repo
from smartinbox.inbox import threads
from smartinbox.inbox.schemas import AgentReplyOut, CustomerOut
from smartinbox.inbox.service import message_out
from smartinbox.kit.errors import NotFound, ValidationFailed
from smartinbox.kit.pagination import Page, clamp_page
from smartinbox.kit.timeutil import as_utc, utcnow
from smartinbox.models import Conversation, ConversationNote, Customer, User


def sla(settings: Settings, c: Conversation, now: datetime) -> SlaOut:
    warn = timedelta(minutes=settings.sla_warning_minutes)
    answered = c.first_response_at
    first_breached = c.first_response_due is not None and ((answered or now) > c.first_response_due)
    finished = c.solved_at if c.status in ("solved", "closed") else None
    resolution_breached = c.resolution_due is not None and (finished or now) > c.resolution_due
    due: datetime | None = None
    if answered is None:
        due = c.first_response_due
    elif finished is None:
        due = c.resolution_due
    running = c.status not in ("solved", "closed")
    at_risk = (
        running
        and due is not None
        and now <= due <= now + warn
        and not (first_breached if answered is None else resolution_breached)
    )
    return SlaOut(
        first_response_due=c.first_response_due,
        first_response_at=answered,
        resolution_due=c.resolution_due,
        first_response_breached=first_breached,
        resolution_breached=resolution_breached,
        at_risk=bool(at_risk),
        due_at=due if running else None,
    )


def _out(
    settings: Settings,
    c: Conversation,
    customers: dict[int, Customer],
    users: dict[int, User],
    previews: dict[int, str],
    now: datetime,
) -> ConversationOut:
    customer = customers.get(c.customer_id) if c.customer_id else None
    assignee = users.get(c.assignee_id) if c.assignee_id else None
    return ConversationOut(
        id=c.id,
        channel=c.channel,
        subject=c.subject,
        status=c.status,
        snoozed_until=c.snoozed_until,
        assignee_id=c.assignee_id,
        assignee_email=assignee.email if assignee else None,
        priority=c.priority,
        priority_source=c.priority_source,
        tags=list(c.tags or []),
        spam=c.spam,
        customer=CustomerOut.model_validate(customer) if customer else None,
        message_count=c.message_count,
        first_message_at=c.first_message_at,
        last_message_at=c.last_message_at,
        solved_at=c.solved_at,
        sla=sla(settings, c, now),
        preview=previews.get(c.id, ""),
    )


def list_conversations(
    session: Session,
    settings: Settings,
    user: User,
    filters: ConversationFilters,
    page: int,
    page_size: int,
) -> Page[ConversationOut]:
    page, page_size = clamp_page(page, page_size, settings.max_page_size)
    rows, total = repo.list_conversations(
        session, filters, user.id, (page - 1) * page_size, page_size
    )
    customers = repo.customers(session, {c.customer_id for c in rows if c.customer_id})
    users = repo.users(session, {c.assignee_id for c in rows if c.assignee_id})
    previews = repo.latest_previews(session, [c.id for c in rows])
    now = utcnow()
    items = [_out(settings, c, customers, users, previews, now) for c in rows]
    return Page[ConversationOut](items=items, total=total, page=page, page_size=page_size)


def get_conversation(session: Session, conversation_id: int, *, lock: bool = False) -> Conversation:
    c = repo.get(session, conversation_id, lock=lock)
    if c is None:
        raise NotFound(f"conversation {conversation_id} does not exist", field="id")
    return c


def detail(session: Session, settings: Settings, conversation_id: int) -> ConversationDetailOut:
    c = get_conversation(session, conversation_id)
    messages = repo.messages(session, c.id)
    suggestions = inbox_repo.current_replies(session, [m.id for m in messages])
    events = repo.events(session, c.id)
    users = repo.users(
        session,
        {i for i in [c.assignee_id, *(e.actor_id for e in events)] if i is not None},
    )
    customers = repo.customers(session, {c.customer_id} if c.customer_id else set())
    base = _out(settings, c, customers, users, {}, utcnow())
    event_rows = []
    for e in events:
        row = EventOut.model_validate(e)
        actor = users.get(e.actor_id) if e.actor_id else None
        row.actor_email = actor.email if actor else None
        event_rows.append(row)
    return ConversationDetailOut(
        **base.model_dump(),
        messages=[message_out(m, suggestions.get(m.id)) for m in messages],
        replies=[
            AgentReplyOut.model_validate(r) for r in repo.replies(session, [m.id for m in messages])
        ],
        notes=[NoteOut.model_validate(n) for n in repo.notes(session, c.id)],
        events=event_rows,
    )


def _assignee(session: Session, user_id: int, field: str) -> User:
    found = repo.users(session, {user_id}).get(user_id)
    if found is None or not found.is_active:
        raise ValidationFailed(f"{field}: user {user_id} is not an active agent", field=field)
    return found


def set_status(
    session: Session,
    c: Conversation,
    status: str,
    actor: User | None,
    snoozed_until: datetime | None = None,
) -> bool:
    if status == c.status and (status != "snoozed" or snoozed_until == c.snoozed_until):
        return False
    previous = c.status
    now = utcnow()
    data: dict[str, object] = {"from": previous, "to": status}
    if status == "snoozed":
        assert snoozed_until is not None
        until = as_utc(snoozed_until)
        if until <= now:
            raise ValidationFailed("snoozed_until must be in the future", field="snoozed_until")
        c.snoozed_until = until
        data["until"] = until.isoformat()
    else:
        c.snoozed_until = None
    if status in ("solved", "closed"):
        if c.solved_at is None:
            c.solved_at = now
    elif previous in ("solved", "closed"):
        c.solved_at = None
        c.opened_at = now
    c.status = status
    threads.event(session, c.id, "status", actor.id if actor else None, **data)
    return True


def set_assignee(session: Session, c: Conversation, user_id: int | None, actor: User) -> bool:
    if user_id == c.assignee_id:
        return False
    if user_id is not None:
        user = _assignee(session, user_id, "assignee_id")
        data: dict[str, object] = {"to": user.id, "to_email": user.email}
    else:
        data = {"to": None}
    data["from"] = c.assignee_id
    c.assignee_id = user_id
    threads.event(session, c.id, "assigned", actor.id, **data)
    return True


def set_tags(session: Session, c: Conversation, tags: list[str], actor: User) -> bool:
    before = sorted(c.tags or [])
    if tags == before:
        return False
    c.tags = tags
    threads.event(
        session,
        c.id,
        "tags",
        actor.id,
        added=sorted(set(tags) - set(before)),
        removed=sorted(set(before) - set(tags)),
    )
    return True


def set_spam(session: Session, c: Conversation, spam: bool, actor: User) -> bool:
    if c.spam == spam:
        return False
    c.spam = spam
    threads.event(session, c.id, "spam" if spam else "not_spam", actor.id)
    return True


def update(
    session: Session, settings: Settings, conversation_id: int, data: ConversationPatch, actor: User
) -> ConversationDetailOut:
    c = get_conversation(session, conversation_id, lock=True)
    if data.status is not None:
        set_status(session, c, data.status, actor, data.snoozed_until)
    if data.assignee_id is not None or data.unassign:
        set_assignee(session, c, None if data.unassign else data.assignee_id, actor)
    if data.tags is not None:
        set_tags(session, c, data.tags, actor)
    if data.priority is not None and (data.priority != c.priority or c.priority_source != "manual"):
        previous = c.priority
        c.priority_source = "manual"
        threads.set_priority(settings, c, data.priority)
        threads.event(session, c.id, "priority", actor.id, to=data.priority, **{"from": previous})
    if data.spam is not None:
        set_spam(session, c, data.spam, actor)
    session.flush()
    return detail(session, settings, c.id)


def add_note(session: Session, conversation_id: int, text: str, author: User) -> NoteOut:
    c = get_conversation(session, conversation_id)
    cleaned = text.replace("\x00", "")
    try:
        cleaned.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationFailed("text is not valid UTF-8 text", field="text") from exc
    if not cleaned.strip():
        raise ValidationFailed("text must not be empty", field="text")
    note = ConversationNote(conversation_id=c.id, author_id=author.id, text=cleaned)
    repo.add(session, note)
    threads.event(session, c.id, "note", author.id, note_id=note.id)
    return NoteOut.model_validate(note)


def bulk(session: Session, settings: Settings, data: BulkIn, actor: User) -> BulkOut:
    found = {c.id: c for c in repo.get_many(session, data.ids)}
    missing = [i for i in data.ids if i not in found]
    if missing:
        raise NotFound(f"conversations {missing[:10]} do not exist", field="ids")
    if data.action == "assign" and data.assignee_id is not None:
        _assignee(session, data.assignee_id, "assignee_id")
    changed: list[int] = []
    unchanged: list[int] = []
    for cid in data.ids:
        c = found[cid]
        if data.action == "assign":
            did = set_assignee(session, c, data.assignee_id, actor)
        elif data.action == "unassign":
            did = set_assignee(session, c, None, actor)
        elif data.action in ("close", "solve"):
            did = set_status(session, c, "closed" if data.action == "close" else "solved", actor)
        elif data.action == "not_spam":
            did = set_spam(session, c, False, actor)
        else:
            assert data.tag is not None
            did = set_tags(session, c, sorted({*(c.tags or []), data.tag}), actor)
        (changed if did else unchanged).append(cid)
    session.flush()
    return BulkOut(changed=changed, unchanged=unchanged)


def wake_snoozed(session: Session, limit: int = 500) -> list[int]:
    """Snoozed conversations whose time has come are open again."""
    woken = []
    for c in repo.due_snoozed(session, utcnow(), limit):
        c.status = "open"
        c.snoozed_until = None
        threads.event(session, c.id, "woke", None)
        woken.append(c.id)
    session.flush()
    return woken
