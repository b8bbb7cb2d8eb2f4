"""Pages of the conversations workflow: the priority-first inbox and the conversation page.
Thin: they call the same services as the JSON API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from smartinbox.channels import views as channel_views
from smartinbox.conversations import replies, service
from smartinbox.conversations import repository as repo
from smartinbox.conversations.schemas import (
    AssigneeView,
    BulkIn,
    ConversationDetailOut,
    ConversationFilters,
    ConversationPatch,
    StatusView,
    clean_tag,
)
from smartinbox.csat import repository as csat_repo
from smartinbox.deps import CurrentUser, SessionDep, SettingsDep
from smartinbox.feedback.tasks import capture_message
from smartinbox.kit.errors import DomainError, ValidationFailed
from smartinbox.kit.ids import RowId
from smartinbox.kit.pagination import MAX_PAGE
from smartinbox.kit.timeutil import parse_datetime, utcnow
from smartinbox.macros import service as macros
from smartinbox.models import User
from smartinbox.web.views import render
from smartinbox.worker import enqueue

router = APIRouter(include_in_schema=False)

STATUS_VIEWS = ("active", "open", "pending", "snoozed", "solved", "closed", "all")
ASSIGNEE_VIEWS = ("all", "mine", "unassigned")
MAX_REPLY_CHARS = 100_000  # as the API's ReplyIn
THEN_STATUSES = ("open", "pending", "solved", "closed")


def _invalid(exc: ValidationError) -> ValidationFailed:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "form"
    message = str(err["msg"]).removeprefix("Value error, ")
    return ValidationFailed(f"{field}: {message}", field=field)


@router.get("/conversations", response_class=HTMLResponse)
def conversations_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    status: StatusView = "active",
    assignee: AssigneeView = "all",
    tag: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    try:
        tag = clean_tag(tag) if tag else None
    except ValueError as exc:
        raise ValidationFailed(f"tag: {exc}", field="tag") from exc
    filters = ConversationFilters(status=status, assignee=assignee, tag=tag)
    result = service.list_conversations(
        session, settings, user, filters, page, settings.default_page_size
    )
    return render(
        request,
        "conversations/list.html",
        {
            "page": result,
            "filters": filters,
            "status_views": STATUS_VIEWS,
            "assignee_views": ASSIGNEE_VIEWS,
            "agents": repo.active_users(session),
            # The "new messages" bar counts what arrived after this page was rendered.
            "since": utcnow().isoformat(),
            "count": 0,
            "poll_s": settings.live_poll_s,
        },
        user=user,
    )


@router.post("/conversations/bulk")
def bulk_action(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    action: Annotated[str, Form()],
    ids: Annotated[list[int] | None, Form()] = None,
    assignee_id: Annotated[str, Form()] = "",
    tag: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/conversations",
) -> RedirectResponse:
    if not ids:
        raise ValidationFailed("ids: choose at least one conversation", field="ids")
    try:
        data = BulkIn.model_validate(
            {
                "ids": ids,
                "action": action,
                "assignee_id": int(assignee_id) if assignee_id.isdigit() else None,
                "tag": tag or None,
            }
        )
    except ValidationError as exc:
        raise _invalid(exc) from exc
    service.bulk(session, settings, data, user)
    target = back if back.startswith("/conversations") else "/conversations"
    return RedirectResponse(target, status_code=303)


def _page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: User,
    conversation_id: int,
    *,
    draft: str = "",
    macro_id: int | None = None,
    error: str | None = None,
    error_field: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    detail = service.detail(session, settings, conversation_id)
    return render(
        request,
        "conversations/detail.html",
        {
            "c": detail,
            # How each reply is getting to the customer, and the e-mail side of each message.
            "deliveries": channel_views.deliveries_by_reply(
                session, [r.id for r in detail.replies]
            ),
            "emails": channel_views.emails_by_message(session, [m.id for m in detail.messages]),
            "timeline": _timeline(detail),
            "latest": detail.messages[-1] if detail.messages else None,
            "agents": repo.active_users(session),
            # A fresh key per rendered composer: a double click or a resent form carries the
            # same key, so the server stores one reply.
            "send_key": uuid.uuid4().hex,
            "draft": draft,
            "macro_id": macro_id,
            "macros": macros.list_macros(session, active_only=True),
            "ratings": csat_repo.for_conversation(session, conversation_id),
            "poll_s": settings.live_poll_s,
            "error": error,
            "error_field": error_field,
        },
        user=user,
        status=status,
    )


def _timeline(c: ConversationDetailOut) -> list[dict[str, Any]]:
    """Messages, replies, notes and events in time order."""
    items: list[tuple[datetime, int, dict[str, Any]]] = []
    for m in c.messages:
        items.append((m.received_at, 0, {"type": "message", "m": m}))
    for r in c.replies:
        items.append((r.created_at, 1, {"type": "reply", "r": r}))
    for n in c.notes:
        items.append((n.created_at, 2, {"type": "note", "n": n}))
    for e in c.events:
        if e.event not in ("message", "replied", "note"):
            items.append((e.created_at, 3, {"type": "event", "e": e}))
    items.sort(key=lambda t: (t[0], t[1]))
    return [i for _, _, i in items]


@router.post("/conversations/{conversation_id}/deliveries/{delivery_id}/retry", response_model=None)
def retry_delivery(
    conversation_id: RowId, delivery_id: RowId, session: SessionDep, _user: CurrentUser
) -> Response:
    """Send a failed reply again; the page shows it queued."""
    channel_views.retry(session, delivery_id)
    return RedirectResponse(f"/conversations/{conversation_id}#timeline", status_code=303)


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation_page(
    request: Request,
    conversation_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    macro: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> HTMLResponse:
    """With `macro`, the composer holds that macro filled for the latest message."""
    if macro is None:
        return _page(request, session, settings, user, conversation_id)
    rendered = replies.render_macro(session, conversation_id, macro)
    return _page(
        request, session, settings, user, conversation_id, draft=rendered.text, macro_id=macro
    )


@router.post("/conversations/{conversation_id}/reply", response_model=None)
def send_reply(
    request: Request,
    conversation_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    text: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form()] = "",
    macro_id: Annotated[str, Form()] = "",
    then_status: Annotated[str, Form()] = "",
) -> Response:
    """Reply to the conversation's latest customer message. On an error the page comes back
    with the message beside the composer, and what the agent typed still in it."""
    key = idempotency_key.strip() or None
    macro = int(macro_id) if macro_id.isdigit() and len(macro_id) <= 18 else None
    try:
        if not text.strip():
            raise ValidationFailed("text: write a reply before sending", field="text")
        if len(text) > MAX_REPLY_CHARS:
            raise ValidationFailed(
                f"text: a reply is at most {MAX_REPLY_CHARS:,} characters; this one has "
                f"{len(text):,}",
                field="text",
            )
        if key is not None and not (8 <= len(key) <= 64 and key.replace("-", "").isalnum()):
            raise ValidationFailed("idempotency_key is malformed", field="idempotency_key")
        if then_status and then_status not in THEN_STATUSES:
            raise ValidationFailed("then_status: choose a status", field="then_status")
        with session.begin_nested():
            sent = replies.send(
                session,
                settings,
                conversation_id,
                text,
                user,
                idempotency_key=key,
                macro_id=macro,
                status=then_status or None,
            )
    except DomainError as exc:
        return _page(
            request,
            session,
            settings,
            user,
            conversation_id,
            draft=text,
            macro_id=macro,
            error=exc.message,
            error_field=exc.field,
            status=exc.status_code,
        )
    enqueue(session, capture_message, sent.message_id)
    return RedirectResponse(f"/conversations/{conversation_id}#composer", status_code=303)


@router.post("/conversations/{conversation_id}/notes", response_model=None)
def add_note(
    request: Request,
    conversation_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    text: Annotated[str, Form()] = "",
) -> Response:
    if not text.strip():
        return _page(
            request,
            session,
            settings,
            user,
            conversation_id,
            error="note: write something before saving",
            error_field="note",
            status=422,
        )
    service.add_note(session, conversation_id, text, user)
    return RedirectResponse(f"/conversations/{conversation_id}#notes", status_code=303)


@router.post("/conversations/{conversation_id}/update", response_model=None)
def update(
    request: Request,
    conversation_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    status: Annotated[str, Form()] = "",
    snoozed_until: Annotated[str, Form()] = "",
    assignee_id: Annotated[str, Form()] = "",
    tags: Annotated[str | None, Form()] = None,
    priority: Annotated[str, Form()] = "",
) -> Response:
    """The status, assignee, tags and priority controls; only changed values make events."""
    current = service.get_conversation(session, conversation_id)
    payload: dict[str, Any] = {}
    try:
        if status and status != current.status:
            payload["status"] = status
            if status == "snoozed":
                if not snoozed_until:
                    raise ValidationFailed(
                        "snoozed_until: choose when to wake it", field="snoozed_until"
                    )
                payload["snoozed_until"] = parse_datetime(snoozed_until)
        if assignee_id == "none":
            if current.assignee_id is not None:
                payload["unassign"] = True
        elif assignee_id:
            if not assignee_id.isdigit():
                raise ValidationFailed("assignee_id: choose an agent", field="assignee_id")
            payload["assignee_id"] = int(assignee_id)
        if tags is not None:
            payload["tags"] = [t for t in tags.split(",") if t.strip()]
        if priority and priority != current.priority:
            payload["priority"] = priority
        data = ConversationPatch.model_validate(payload)
        with session.begin_nested():
            service.update(session, settings, conversation_id, data, user)
    except ValidationError as exc:
        failed = _invalid(exc)
        return _page(
            request,
            session,
            settings,
            user,
            conversation_id,
            error=failed.message,
            error_field=failed.field,
            status=422,
        )
    except (DomainError, ValueError) as exc:
        message = exc.message if isinstance(exc, DomainError) else f"snoozed_until: {exc}"
        return _page(
            request,
            session,
            settings,
            user,
            conversation_id,
            error=message,
            error_field=getattr(exc, "field", "snoozed_until"),
            status=422,
        )
    return RedirectResponse(f"/conversations/{conversation_id}", status_code=303)
