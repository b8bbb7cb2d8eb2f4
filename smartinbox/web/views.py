"""HTML pages and htmx fragments. Thin: they call the same services as the JSON API."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from smartinbox.auth import service as auth_service
from smartinbox.auth.security import new_csrf_token, same
from smartinbox.deps import SESSION_KEY, CurrentUser, SessionDep, SettingsDep
from smartinbox.feedback.tasks import capture_message
from smartinbox.inbox import corrections
from smartinbox.inbox import service as inbox_service
from smartinbox.inbox.schemas import MessageFilters
from smartinbox.kit.errors import DomainError, Forbidden, ValidationFailed
from smartinbox.kit.ids import RowId
from smartinbox.kit.pagination import MAX_PAGE
from smartinbox.models import User
from smartinbox.worker import enqueue

router = APIRouter(include_in_schema=False)


def csrf_token(request: Request) -> str:
    """The logged-in session's token (kept server-side), else the login form's (in the cookie)."""
    signed_in = getattr(request.state, "csrf", None)
    if signed_in:
        return str(signed_in)
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = new_csrf_token()
    return str(token)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    user: User | None = None,
    status: int = 200,
) -> HTMLResponse:
    ctx = {"user": user, "csrf_token": csrf_token(request), **context}
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, ctx, status_code=status
    )
    return response


def _safe_next(target: str | None) -> str:
    # Only local paths: an attacker-supplied absolute URL must not turn login into a redirector.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/inbox"


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token_: Annotated[str, Form(alias="csrf_token")] = "",
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    if not same(request.session.get("csrf"), csrf_token_):
        raise Forbidden("the form expired; reload the page and try again", field="csrf_token")
    throttle = request.app.state.login_throttle
    client = request.client.host if request.client else "unknown"
    throttle.check(client, email)
    try:
        user = auth_service.authenticate(session, email, password)
    except DomainError as exc:
        throttle.failed(client, email)
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": exc.message, "email": email},
            status=401,
        )
    throttle.succeeded(client, email)
    _row, sid = auth_service.start_session(session, user, settings.session_max_age_s)
    request.session.clear()
    request.session[SESSION_KEY] = sid
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep, _user: CurrentUser) -> RedirectResponse:
    sid = request.session.get(SESSION_KEY)
    if isinstance(sid, str):
        auth_service.end_session(session, sid)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _blank_to_none(value: str | None) -> str | None:
    return value if value not in (None, "") else None


def inbox_filters(
    status: str | None = None,
    kind: str | None = None,
    topic: str | None = None,
    min_urgency: str | None = None,
    snoozed: str | None = None,
    q: str | None = None,
) -> MessageFilters:
    """The filter form sends empty strings for unset fields; they mean "any"."""
    try:
        return MessageFilters.model_validate(
            {
                "status": _blank_to_none(status),
                "kind": _blank_to_none(kind),
                "topic": _blank_to_none(topic),
                "min_urgency": _blank_to_none(min_urgency),
                "snoozed": _blank_to_none(snoozed),
                "q": _blank_to_none(q),
            }
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise ValidationFailed(f"{field}: {err['msg']}", field=field) from exc


@router.get("/inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    filters: Annotated[MessageFilters, Depends(inbox_filters)],
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    result = inbox_service.list_messages(
        session, settings, filters, page, settings.default_page_size
    )
    template = "inbox/_rows.html" if request.headers.get("hx-request") else "inbox/list.html"
    return render(request, template, {"page": result, "filters": filters}, user=user)


@router.get("/messages/{message_id}", response_class=HTMLResponse)
def message_page(
    request: Request, message_id: RowId, session: SessionDep, user: CurrentUser
) -> HTMLResponse:
    detail = inbox_service.message_detail(session, message_id)
    # A fresh key per rendered form: a double click or a resent form stores one reply.
    context = {
        "m": detail,
        "send_key": uuid.uuid4().hex,
        "kinds": corrections.choices(session, "kind"),
        "topics": corrections.choices(session, "topic"),
    }
    return render(request, "inbox/message.html", context, user=user)


@router.post("/messages/{message_id}/corrections")
def correct_label(
    message_id: RowId,
    session: SessionDep,
    user: CurrentUser,
    field: Annotated[str, Form()],
    value: Annotated[str, Form()] = "",
    new_topic: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """A kind or topic chosen from the lists; a new topic is typed in its own field."""
    chosen = new_topic.strip() if field == "topic" and new_topic.strip() else value
    corrections.record_correction(
        session, message_id, field, chosen, user, new_topic=bool(new_topic.strip())
    )
    return RedirectResponse(f"/messages/{message_id}#analysis", status_code=303)


@router.post("/messages/{message_id}/reply")
def send_reply(
    message_id: RowId,
    session: SessionDep,
    user: CurrentUser,
    text: Annotated[str, Form()],
    idempotency_key: Annotated[str | None, Form(max_length=64)] = None,
) -> RedirectResponse:
    inbox_service.record_reply(session, message_id, text, user, idempotency_key or None)
    enqueue(session, capture_message, message_id)  # replay row and training data
    return RedirectResponse(f"/messages/{message_id}", status_code=303)
