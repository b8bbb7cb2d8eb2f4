"""JSON API of the learning loop. Thin: parse, call the service, answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from smartinbox.deps import AdminUser, CurrentUser, SessionDep, SettingsDep
from smartinbox.feedback import downloads, replay, service, why
from smartinbox.feedback.reviewers import reviewer_for
from smartinbox.feedback.schemas import (
    ExplanationOut,
    FeedbackIn,
    FeedbackOut,
    ImprovementOut,
    ReplayFilters,
    ReplayIn,
    ReplayOut,
    ReplyExplanationOut,
    YesNo,
)
from smartinbox.feedback.tasks import capture_message, retrain
from smartinbox.kit.errors import ValidationFailed
from smartinbox.kit.ids import MAX_ROW_ID, RowId
from smartinbox.kit.pagination import MAX_PAGE, Page
from smartinbox.worker import enqueue

router = APIRouter(prefix="/api", tags=["feedback"])


@router.post("/messages/{message_id}/feedback", response_model=FeedbackOut, status_code=201)
def rate(
    message_id: RowId,
    data: FeedbackIn,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> FeedbackOut:
    out, _capture = service.rate(session, settings, message_id, data, user)
    enqueue(session, capture_message, message_id)  # instant learning, outside the request
    return out


@router.post("/messages/{message_id}/suggestion/explain", response_model=ReplyExplanationOut)
def explain_suggestion(
    message_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    _user: CurrentUser,
    refresh: bool = False,
) -> ReplyExplanationOut:
    """ "Why this reply?" for the message's current suggestion (stored; `refresh` asks again)."""
    return why.explain_suggestion(session, message_id, reviewer_for(settings), refresh=refresh)


@router.post("/feedback-replay", response_model=ReplayOut, status_code=201)
def create_replay(
    data: ReplayIn, session: SessionDep, settings: SettingsDep, _user: CurrentUser
) -> ReplayOut:
    row = service.record_replay(session, settings, data)
    return replay.get_replay(session, row.id)


@router.get("/feedback-replay", response_model=Page[ReplayOut])
def list_replays(
    session: SessionDep,
    settings: SettingsDep,
    _user: CurrentUser,
    feedback: YesNo | None = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    version: Annotated[str | None, Query(max_length=32)] = None,
    since: datetime | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[ReplayOut]:
    filters = ReplayFilters(feedback=feedback, topic=topic, version=version, since=since)
    return replay.list_replays(session, settings, filters, page, page_size)


@router.get("/feedback-replay/{replay_id}", response_model=ReplayOut)
def get_replay(replay_id: RowId, session: SessionDep, _user: CurrentUser) -> ReplayOut:
    return replay.get_replay(session, replay_id)


@router.post("/feedback-replay/{replay_id}/improve", response_model=ImprovementOut, status_code=201)
def improve(
    replay_id: RowId, session: SessionDep, settings: SettingsDep, _user: CurrentUser
) -> ImprovementOut:
    return replay.improve(session, replay_id, reviewer_for(settings))


@router.post("/feedback-replay/{replay_id}/explain", response_model=ExplanationOut)
def explain(
    replay_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    _user: CurrentUser,
    refresh: bool = False,
) -> ExplanationOut:
    return replay.explain(session, replay_id, reviewer_for(settings), refresh=refresh)


@router.get("/exports/training", response_class=FileResponse)
def export_training(
    settings: SettingsDep,
    _admin: AdminUser,
    format: Literal["jsonl", "csv"] = "jsonl",
    since: datetime | None = None,
    version: Annotated[str | None, Query(max_length=32)] = None,
    min_not_useful: Annotated[int | None, Query(ge=0, le=MAX_ROW_ID)] = None,
    redact_pii: bool | None = None,
) -> FileResponse:
    """The training examples as OpenAI chat JSONL (validated) or CSV; report in X-Export-* headers."""
    result = downloads.training(settings, format, since, version, min_not_useful, redact_pii)
    return _file(result)


@router.get("/exports/feedback", response_class=FileResponse)
def export_feedback(
    settings: SettingsDep,
    _admin: AdminUser,
    feedback: YesNo | None = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    version: Annotated[str | None, Query(max_length=32)] = None,
    since: datetime | None = None,
    redact_pii: bool | None = None,
) -> FileResponse:
    filters = ReplayFilters(feedback=feedback, topic=topic, version=version, since=since)
    return _file(downloads.feedback(settings, filters, redact_pii))


def _file(result: downloads.Download) -> FileResponse:
    return FileResponse(
        result.path,
        media_type=result.media_type,
        filename=result.filename,
        headers=result.headers,
        background=BackgroundTask(result.path.unlink, missing_ok=True),
    )


@router.post("/retrain", status_code=status.HTTP_202_ACCEPTED)
def start_retrain(
    session: SessionDep,
    _admin: AdminUser,
    provider: Literal["local", "openai"] | None = None,
    resume: bool = False,
) -> dict[str, str]:
    """Queue a retraining run; `resume=true` only polls an unfinished fine-tuning job."""
    if resume and provider == "local":
        raise ValidationFailed(
            "resume applies to fine-tuning jobs (provider openai)", field="resume"
        )
    enqueue(session, retrain, provider, resume)
    return {"status": "queued"}
