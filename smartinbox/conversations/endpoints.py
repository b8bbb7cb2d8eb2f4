"""JSON API of conversations. Thin: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from smartinbox.conversations import replies, service
from smartinbox.conversations.schemas import (
    AssigneeView,
    BulkIn,
    BulkOut,
    ConversationDetailOut,
    ConversationFilters,
    ConversationOut,
    ConversationPatch,
    ConversationReplyIn,
    NoteIn,
    NoteOut,
    Priority,
    StatusView,
    clean_tag,
)
from smartinbox.deps import CurrentUser, SessionDep, SettingsDep
from smartinbox.feedback.tasks import capture_message
from smartinbox.inbox.schemas import AgentReplyOut
from smartinbox.kit.errors import ValidationFailed
from smartinbox.kit.ids import RowId
from smartinbox.kit.pagination import MAX_PAGE, Page
from smartinbox.macros.schemas import RenderedMacro
from smartinbox.worker import enqueue

router = APIRouter(prefix="/api/conversations", tags=["conversations"])


@router.get("", response_model=Page[ConversationOut])
def list_conversations(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    status: StatusView = "active",
    assignee: AssigneeView = "all",
    tag: Annotated[str | None, Query(max_length=40)] = None,
    priority: Priority | None = None,
    spam: bool = False,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[ConversationOut]:
    """Priority first: urgent first, then unassigned before assigned, then the nearest SLA due
    time, then the latest message."""
    try:
        tag = clean_tag(tag) if tag else None
    except ValueError as exc:
        raise ValidationFailed(f"tag: {exc}", field="tag") from exc
    filters = ConversationFilters(
        status=status, assignee=assignee, tag=tag, priority=priority, spam=spam
    )
    return service.list_conversations(session, settings, user, filters, page, page_size)


@router.post("/bulk", response_model=BulkOut)
def bulk(data: BulkIn, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> BulkOut:
    return service.bulk(session, settings, data, user)


@router.get("/{conversation_id}", response_model=ConversationDetailOut)
def get_conversation(
    conversation_id: RowId, session: SessionDep, settings: SettingsDep, _user: CurrentUser
) -> ConversationDetailOut:
    return service.detail(session, settings, conversation_id)


@router.patch("/{conversation_id}", response_model=ConversationDetailOut)
def patch_conversation(
    conversation_id: RowId,
    data: ConversationPatch,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> ConversationDetailOut:
    return service.update(session, settings, conversation_id, data, user)


@router.post("/{conversation_id}/notes", response_model=NoteOut, status_code=201)
def add_note(
    conversation_id: RowId, data: NoteIn, session: SessionDep, user: CurrentUser
) -> NoteOut:
    return service.add_note(session, conversation_id, data.text, user)


@router.post("/{conversation_id}/reply", response_model=AgentReplyOut, status_code=201)
def reply(
    conversation_id: RowId,
    data: ConversationReplyIn,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> AgentReplyOut:
    """Answer the latest customer message; a macro's status and tags follow the reply."""
    sent = replies.send(
        session,
        settings,
        conversation_id,
        data.text,
        user,
        idempotency_key=data.idempotency_key,
        macro_id=data.macro_id,
        status=data.status,
    )
    enqueue(session, capture_message, sent.message_id)
    return AgentReplyOut.model_validate(sent)


@router.get("/{conversation_id}/macros/{macro_id}", response_model=RenderedMacro)
def render_macro(
    conversation_id: RowId, macro_id: RowId, session: SessionDep, _user: CurrentUser
) -> RenderedMacro:
    """A macro filled for this conversation's latest customer message."""
    return replies.render_macro(session, conversation_id, macro_id)
