"""JSON API of the memory review: the queue, and approve / edit / remove. Thin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from smartinbox.deps import AdminUser, CurrentUser, SessionDep, SettingsDep
from smartinbox.kit.ids import RowId
from smartinbox.memory import repository as repo
from smartinbox.memory import service
from smartinbox.memory.schemas import MemoryEditIn, MemoryPageOut, MemoryReplyOut, ReviewStatus

router = APIRouter(prefix="/api/memory", tags=["memory"])


@router.get("", response_model=MemoryPageOut)
def list_replies(
    session: SessionDep,
    _user: CurrentUser,
    status: ReviewStatus | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text to find.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MemoryPageOut:
    rows, total = repo.listing(session, status, q, limit, offset)
    return MemoryPageOut(items=[MemoryReplyOut.model_validate(r) for r in rows], total=total)


@router.get("/{review_id}", response_model=MemoryReplyOut)
def show(review_id: RowId, session: SessionDep, _user: CurrentUser) -> MemoryReplyOut:
    return MemoryReplyOut.model_validate(service.get(session, review_id))


@router.post("/{review_id}/approve", response_model=MemoryReplyOut)
def approve(review_id: RowId, session: SessionDep, user: CurrentUser) -> MemoryReplyOut:
    return MemoryReplyOut.model_validate(service.approve(session, review_id, user))


@router.put("/{review_id}", response_model=MemoryReplyOut)
def edit(
    review_id: RowId,
    body: MemoryEditIn,
    session: SessionDep,
    settings: SettingsDep,
    user: AdminUser,
) -> MemoryReplyOut:
    return MemoryReplyOut.model_validate(
        service.edit(session, settings, review_id, body.reply, user)
    )


@router.delete("/{review_id}", response_model=MemoryReplyOut)
def remove(review_id: RowId, session: SessionDep, user: AdminUser) -> MemoryReplyOut:
    return MemoryReplyOut.model_validate(service.remove(session, review_id, user))
