"""The memory review page for admins. Thin: the same services as the JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from smartinbox.deps import AdminUser, SessionDep, SettingsDep
from smartinbox.kit.ids import RowId
from smartinbox.memory import repository as repo
from smartinbox.memory import service
from smartinbox.memory.schemas import ReviewStatus
from smartinbox.web.views import render

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/memory", response_class=HTMLResponse)
def review_page(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    status: ReviewStatus | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    rows, total = repo.listing(session, status, q, PAGE, (page - 1) * PAGE)
    context = {"rows": rows, "total": total, "status": status, "q": q or "", "page": page,
               "pages": max(1, -(-total // PAGE))}  # fmt: skip
    return render(request, "memory/review.html", context, user=user)


@router.post("/memory/{review_id}/approve")
def approve(review_id: RowId, session: SessionDep, user: AdminUser) -> RedirectResponse:
    service.approve(session, review_id, user)
    return RedirectResponse("/memory", status_code=303)


@router.post("/memory/{review_id}/edit")
def edit(
    review_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: AdminUser,
    reply: Annotated[str, Form(max_length=20_000)],
) -> RedirectResponse:
    service.edit(session, settings, review_id, reply, user)
    return RedirectResponse("/memory", status_code=303)


@router.post("/memory/{review_id}/remove")
def remove(review_id: RowId, session: SessionDep, user: AdminUser) -> RedirectResponse:
    service.remove(session, review_id, user)
    return RedirectResponse("/memory", status_code=303)
