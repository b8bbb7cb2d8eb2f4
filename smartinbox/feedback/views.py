"""HTML pages and htmx fragments of the learning loop. Thin: same services as the JSON API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from smartinbox.deps import AdminUser, CurrentUser, SessionDep, SettingsDep
from smartinbox.feedback import downloads, replay, service, why
from smartinbox.feedback import repository as repo
from smartinbox.feedback.reviewers import reviewer_for
from smartinbox.feedback.schemas import FeedbackIn, ReplayFilters
from smartinbox.feedback.tasks import capture_message
from smartinbox.kit.errors import DomainError, ValidationFailed
from smartinbox.kit.ids import RowId
from smartinbox.kit.pagination import MAX_PAGE
from smartinbox.kit.timeutil import parse_datetime
from smartinbox.models import User
from smartinbox.web.views import render
from smartinbox.worker import enqueue

router = APIRouter(include_in_schema=False)


def _rating(request: Request, session: SessionDep, message_id: int, user: User) -> HTMLResponse:
    suggestion = repo.rated_or_answered_reply(session, message_id)
    mine = repo.current_feedback(session, suggestion.id, user.id) if suggestion else None
    history = repo.count_history(session, suggestion.id, user.id) if suggestion else 0
    context = {"message_id": message_id, "suggestion": suggestion, "mine": mine, "history": history}
    return render(request, "feedback/_rating.html", context, user=user)


@router.get("/messages/{message_id}/feedback", response_class=HTMLResponse)
def rating_widget(
    request: Request, message_id: RowId, session: SessionDep, user: CurrentUser
) -> HTMLResponse:
    return _rating(request, session, message_id, user)


@router.post("/messages/{message_id}/feedback")
def rate(
    request: Request,
    message_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    useful: Annotated[Literal["yes", "no"], Form()],
    score: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    if score and not score.isdigit():
        raise ValidationFailed("score must be a number from 1 to 5", field="score")
    data = FeedbackIn(
        useful=useful == "yes", score=int(score) if score else None, notes=notes or None
    )
    service.rate(session, settings, message_id, data, user)
    enqueue(session, capture_message, message_id)
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/messages/{message_id}", status_code=303)
    return _rating(request, session, message_id, user)


@router.post("/messages/{message_id}/why", response_class=HTMLResponse)
def why_this_reply(
    request: Request,
    message_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> HTMLResponse:
    out = why.explain_suggestion(session, message_id, reviewer_for(settings))
    context = {"message_id": message_id, "why": out}
    return render(request, "feedback/_why.html", context, user=user)


def _filters(
    feedback: str | None, topic: str | None, version: str | None, since: str | None
) -> ReplayFilters:
    try:
        parsed = parse_datetime(since) if since else None
    except ValueError as exc:
        raise ValidationFailed("since must be a date like 2026-01-31", field="since") from exc
    return ReplayFilters(
        feedback=feedback if feedback in ("yes", "no") else None,
        topic=topic or None,
        version=version or None,
        since=parsed,
    )


@router.get("/replay", response_class=HTMLResponse)
def replay_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    feedback: str | None = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    version: Annotated[str | None, Query(max_length=32)] = None,
    since: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    filters = _filters(feedback, topic, version, since)
    result = replay.list_replays(session, settings, filters, page, settings.default_page_size)
    context = {
        "page": result,
        "filters": filters,
        "since": since or "",
        "topics": repo.replay_topics(session),
    }
    return render(request, "feedback/replay.html", context, user=user)


@router.get("/replay/{replay_id}", response_class=HTMLResponse)
def replay_one(
    request: Request, replay_id: RowId, session: SessionDep, user: CurrentUser
) -> HTMLResponse:
    """One interaction in the replay view, wherever it falls in the list (report links)."""
    context = {"r": replay.get_replay(session, replay_id)}
    return render(request, "feedback/replay_one.html", context, user=user)


@router.post("/replay/{replay_id}/improve", response_class=HTMLResponse)
def improve(
    request: Request,
    replay_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> HTMLResponse:
    improvement = replay.improve(session, replay_id, reviewer_for(settings))
    context = {"r": {"id": replay_id, "improvement": improvement}}
    return render(request, "feedback/_improvement.html", context, user=user)


@router.post("/replay/{replay_id}/explain", response_class=HTMLResponse)
def explain(
    request: Request,
    replay_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> HTMLResponse:
    out = replay.explain(session, replay_id, reviewer_for(settings))
    context = {
        "r": {
            "id": replay_id,
            "failure_explanation": out.explanation,
            "feedback": "no",
            "failure_explanation_provenance": out.model_dump(
                include={"provider", "model", "prompt_version"}
            ),
        }
    }
    return render(request, "feedback/_explanation.html", context, user=user)


@router.get("/exports", response_class=HTMLResponse)
def exports_page(request: Request, settings: SettingsDep, user: AdminUser) -> HTMLResponse:
    return render(
        request, "feedback/exports.html", {"settings": settings, "error": None}, user=user
    )


@router.get("/exports/download", response_model=None)
def download(
    request: Request,
    settings: SettingsDep,
    user: AdminUser,
    kind: Literal["training", "feedback"] = "training",
    format: Literal["jsonl", "csv"] = "jsonl",
    since: Annotated[str | None, Query(max_length=32)] = None,
    version: Annotated[str | None, Query(max_length=32)] = None,
    min_not_useful: Annotated[str | None, Query(max_length=9)] = None,
    redact_pii: Annotated[str | None, Query(max_length=5)] = None,
) -> Response:
    redact = redact_pii == "true"  # an unticked checkbox sends nothing: redaction off
    try:
        filters = _filters(None, None, version, since)
        if kind == "feedback":
            result = downloads.feedback(settings, filters, redact)
        else:
            threshold = int(min_not_useful) if min_not_useful and min_not_useful.isdigit() else None
            result = downloads.training(
                settings, format, filters.since, filters.version, threshold, redact
            )
    except DomainError as exc:
        context = {"settings": settings, "error": exc.message, "report": exc.extra.get("report")}
        return render(request, "feedback/exports.html", context, user=user, status=exc.status_code)
    return FileResponse(
        result.path,
        media_type=result.media_type,
        filename=result.filename,
        headers=result.headers,
        background=BackgroundTask(result.path.unlink, missing_ok=True),
    )
