"""The customer's rating page: reached by the signed link in a solving reply, no login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from smartinbox.csat import service
from smartinbox.deps import SessionDep, SettingsDep
from smartinbox.kit.errors import DomainError, ValidationFailed
from smartinbox.web.views import render

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Field(max_length=512)]


@router.get("/csat/{token}", response_class=HTMLResponse)
def rating_page(
    request: Request, token: Token, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    claim = service.read_token(settings, token)
    done = service.existing(session, claim)
    return render(request, "csat/rate.html", {"token": token, "done": done, "error": None})


@router.post("/csat/{token}", response_class=HTMLResponse)
def rate(
    request: Request,
    token: Token,
    session: SessionDep,
    settings: SettingsDep,
    rating: Annotated[str, Form()] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> HTMLResponse:
    try:
        if not rating.isdigit():
            raise ValidationFailed("rating: choose from 1 to 5", field="rating")
        row = service.rate(session, settings, token, int(rating), comment)
    except DomainError as exc:
        claim = service.read_token(settings, token)
        return render(
            request,
            "csat/rate.html",
            {"token": token, "done": service.existing(session, claim), "error": exc.message},
            status=exc.status_code,
        )
    return render(request, "csat/rate.html", {"token": token, "done": row, "error": None})
