"""JSON API of the inbox. Thin: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from smartinbox.deps import CurrentUser, SessionDep, SettingsDep
from smartinbox.feedback.tasks import capture_message
from smartinbox.inbox import corrections, service
from smartinbox.inbox.schemas import (
    AgentReplyOut,
    BatchIn,
    BatchItemOut,
    BatchOut,
    CorrectionIn,
    CorrectionOut,
    MessageDetailOut,
    MessageFilters,
    MessageIn,
    MessageOut,
    ReplyIn,
    Status,
)
from smartinbox.inbox.tasks import queue_analysis
from smartinbox.kit.ids import RowId
from smartinbox.kit.pagination import MAX_PAGE, Page
from smartinbox.worker import enqueue

router = APIRouter(prefix="/api/messages", tags=["messages"])


@router.post(
    "",
    response_model=MessageOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already ingested: the first message, unchanged."}},
)
def create_message(
    data: MessageIn,
    session: SessionDep,
    settings: SettingsDep,
    _user: CurrentUser,
    response: Response,
) -> MessageOut:
    result = service.ingest(session, settings, data)
    if result.created:
        enqueue(session, queue_analysis, [result.message.id])
    else:
        response.status_code = status.HTTP_200_OK
    return service.message_view(session, result.message)


@router.post("/batch", response_model=BatchOut)
def create_batch(
    data: BatchIn,
    session: SessionDep,
    settings: SettingsDep,
    _user: CurrentUser,
    response: Response,
) -> BatchOut:
    results = service.ingest_batch(session, settings, data.messages)
    new_ids = [r.message.id for r in results if r.created]
    if new_ids:
        enqueue(session, queue_analysis, new_ids)
        response.status_code = status.HTTP_201_CREATED
    return BatchOut(
        created=len(new_ids),
        existing=len(results) - len(new_ids),
        items=[
            BatchItemOut(index=i, id=r.message.id, created=r.created) for i, r in enumerate(results)
        ],
    )


@router.get("", response_model=Page[MessageOut])
def list_messages(
    session: SessionDep,
    settings: SettingsDep,
    _user: CurrentUser,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    kind: str | None = None,
    topic: str | None = None,
    min_urgency: Annotated[float | None, Query(ge=0, le=1)] = None,
    snoozed: bool | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[MessageOut]:
    filters = MessageFilters(
        status=status_, kind=kind, topic=topic, min_urgency=min_urgency, snoozed=snoozed, q=q
    )
    return service.list_messages(session, settings, filters, page, page_size)


@router.get("/{message_id}", response_model=MessageDetailOut)
def get_message(message_id: RowId, session: SessionDep, _user: CurrentUser) -> MessageDetailOut:
    return service.message_detail(session, message_id)


@router.post("/{message_id}/reply", response_model=AgentReplyOut, status_code=201)
def reply(
    message_id: RowId, data: ReplyIn, session: SessionDep, user: CurrentUser
) -> AgentReplyOut:
    sent = service.record_reply(session, message_id, data.text, user)
    enqueue(session, capture_message, message_id)  # replay row and training data
    return AgentReplyOut.model_validate(sent)


@router.post("/{message_id}/corrections", response_model=CorrectionOut, status_code=201)
def correct(
    message_id: RowId, data: CorrectionIn, session: SessionDep, user: CurrentUser
) -> CorrectionOut:
    """Correct the triage's topic or kind; the correction is also a training label."""
    row = corrections.record_correction(session, message_id, data.field, data.value, user)
    return CorrectionOut.model_validate(row)
