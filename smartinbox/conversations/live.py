"""Live updates for the conversation pages, polled by htmx: a "new messages" bar on the list,
and a notice on a conversation that another agent has it open (or is replying)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from smartinbox.conversations import repository as repo
from smartinbox.conversations.presence import PRESENCE
from smartinbox.deps import CurrentUser, SessionDep, SettingsDep
from smartinbox.kit.errors import ValidationFailed
from smartinbox.kit.ids import RowId
from smartinbox.kit.timeutil import as_utc, parse_datetime
from smartinbox.web.views import render

router = APIRouter(include_in_schema=False)


def _since(value: str) -> datetime:
    try:
        return as_utc(parse_datetime(value))
    except ValueError as exc:
        raise ValidationFailed(f"since: {exc}", field="since") from exc


@router.get("/conversations/updates", response_class=HTMLResponse)
def new_messages_bar(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    since: Annotated[str, Query(max_length=64)],
) -> HTMLResponse:
    """The bar, polled by the list: how many conversations got a message since it rendered."""
    count = repo.updated_since(session, _since(since))
    return render(
        request,
        "conversations/_new_messages.html",
        {"count": count, "since": since, "poll_s": settings.live_poll_s},
        user=user,
    )


@router.get("/conversations/{conversation_id}/presence", response_class=HTMLResponse)
def presence(
    request: Request,
    conversation_id: RowId,
    settings: SettingsDep,
    user: CurrentUser,
    replying: bool = False,
) -> HTMLResponse:
    """Check in as viewing the conversation; answer with who else is."""
    others = PRESENCE.check_in(
        conversation_id, user.id, user.email, replying, float(settings.presence_ttl_s)
    )
    return render(
        request,
        "conversations/_presence.html",
        {"others": others, "conversation_id": conversation_id, "poll_s": settings.live_poll_s},
        user=user,
    )
