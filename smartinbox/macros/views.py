"""The macros admin page: list, create, change and delete saved replies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from smartinbox.deps import AdminUser, CurrentUser, SessionDep
from smartinbox.kit.ids import RowId
from smartinbox.macros import service
from smartinbox.macros.schemas import MacroIn, MacroPatch
from smartinbox.models import User
from smartinbox.web.views import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, session: SessionDep, user: User, error: str | None = None, status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "macros/list.html",
        {"macros": service.list_macros(session), "error": error},
        user=user,
        status=status,
    )


def _fields(title: str, body: str, set_status: str, tags: str, active: bool) -> dict[str, object]:
    return {
        "title": title,
        "body": body,
        "set_status": set_status or None,
        "add_tags": [t for t in tags.split(",") if t.strip()],
        "active": active,
    }


def _message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "form"
    return f"{field}: {str(err['msg']).removeprefix('Value error, ')}"


@router.get("/macros", response_class=HTMLResponse)
def macros_page(request: Request, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    return _page(request, session, user)


@router.post("/macros", response_model=None)
def create_macro(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    set_status: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = MacroIn.model_validate(_fields(title, body, set_status, tags, True))
    except ValidationError as exc:
        return _page(request, session, user, _message(exc), 422)
    service.create(session, data, user)
    return RedirectResponse("/macros", status_code=303)


@router.post("/macros/{macro_id}/update", response_model=None)
def update_macro(
    request: Request,
    macro_id: RowId,
    session: SessionDep,
    user: AdminUser,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    set_status: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
) -> Response:
    try:
        fields = _fields(title, body, set_status, tags, active == "on")
        fields["clear_status"] = not set_status
        data = MacroPatch.model_validate(fields)
    except ValidationError as exc:
        return _page(request, session, user, _message(exc), 422)
    service.update(session, macro_id, data)
    return RedirectResponse("/macros", status_code=303)


@router.post("/macros/{macro_id}/delete")
def delete_macro(macro_id: RowId, session: SessionDep, _user: AdminUser) -> RedirectResponse:
    service.delete(session, macro_id)
    return RedirectResponse("/macros", status_code=303)
