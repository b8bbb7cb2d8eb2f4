"""JSON API of conversations. Thin: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from smartinbox.conversations import service
from smartinbox.conversations.schemas import (
    AssigneeView,
    BulkIn,
    BulkOut,
    ConversationDetailOut,
    ConversationFilters,
    ConversationOut,
    ConversationPatch,
    NoteIn,
    NoteOut,
    Priority,
    StatusView,
    clean_tag,
)
from smartinbox.deps import CurrentUser, SessionDep, SettingsDep
from smartinbox.kit.errors import ValidationFailed
from smartinbox.kit.ids import RowId
from smartinbox.kit.pagination import MAX_PAGE, Page

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
