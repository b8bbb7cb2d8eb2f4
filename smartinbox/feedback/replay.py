"""The replay page's service: listing, improved replies and failure explanations. Never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinbox.config import Settings
from smartinbox.feedback import repository as repo
from smartinbox.feedback.analysis import Case, Reviewer, RuleReviewer
from smartinbox.feedback.schemas import ExplanationOut, ImprovementOut, ReplayFilters, ReplayOut
from smartinbox.kit.errors import Conflict, NotFound
from smartinbox.kit.pagination import Page, clamp_page
from smartinbox.models import AIReplyImprovement, Analysis, FeedbackReplayLog

# How many agent-approved replies an improvement compares against.
ACCEPTED_POOL = 200


def _get(session: Session, replay_id: int) -> FeedbackReplayLog:
    row = repo.get_replay(session, replay_id)
    if row is None:
        raise NotFound(f"replay {replay_id} does not exist", field="id")
    return row


def _out(
    row: FeedbackReplayLog, tag: str | None, improvement: AIReplyImprovement | None
) -> ReplayOut:
    out = ReplayOut.model_validate(row)
    out.version_tag = tag
    out.improvement = ImprovementOut.model_validate(improvement) if improvement else None
    return out


def list_replays(
    session: Session, settings: Settings, filters: ReplayFilters, page: int, page_size: int
) -> Page[ReplayOut]:
    page, page_size = clamp_page(page, page_size, settings.max_page_size)
    rows, total = repo.list_replays(session, filters, (page - 1) * page_size, page_size)
    tags = repo.version_tags(
        session, {r.assistant_version_id for r in rows if r.assistant_version_id}
    )
    improvements = repo.latest_improvements(session, [r.id for r in rows])
    items = [_out(r, tags.get(r.assistant_version_id or 0), improvements.get(r.id)) for r in rows]
    return Page[ReplayOut](items=items, total=total, page=page, page_size=page_size)


def get_replay(session: Session, replay_id: int) -> ReplayOut:
    row = _get(session, replay_id)
    tags = repo.version_tags(
        session, {row.assistant_version_id} if row.assistant_version_id else set()
    )
    improvement = repo.latest_improvements(session, [row.id]).get(row.id)
    return _out(row, tags.get(row.assistant_version_id or 0), improvement)


def _case(session: Session, row: FeedbackReplayLog, with_pool: bool) -> Case:
    sentiment = None
    if row.message_id is not None:
        sentiment = session.scalar(
            select(Analysis.sentiment).where(Analysis.message_id == row.message_id)
        )
    pool = repo.accepted_replies_for_topic(session, row.topic, ACCEPTED_POOL) if with_pool else []
    return Case(
        message=row.message,
        ai_reply=row.ai_reply,
        agent_reply=row.agent_reply,
        feedback=row.feedback,
        topic=row.topic,
        sentiment=sentiment,
        accepted=[(m, r) for m, r in pool if m != row.message],
    )


def improve(session: Session, replay_id: int, reviewer: Reviewer | None = None) -> ImprovementOut:
    """Generate an improved reply and store it beside the original (each click adds a row)."""
    row = _get(session, replay_id)
    result = (reviewer or RuleReviewer()).improve(_case(session, row, with_pool=True))
    improvement = AIReplyImprovement(
        replay_id=row.id,
        message_id=row.message_id,
        ai_reply_id=row.ai_reply_id,
        original_reply=row.ai_reply,
        improved_reply=result.text,
        assistant_version_id=row.assistant_version_id,
        model=result.model,
        provider=result.provider,
        prompt_version=result.prompt_version,
    )
    repo.add(session, improvement)
    return ImprovementOut.model_validate(improvement)


def explain(
    session: Session, replay_id: int, reviewer: Reviewer | None = None, *, refresh: bool = False
) -> ExplanationOut:
    """Why a thumbs-down reply failed; computed once and stored, unless `refresh`."""
    row = _get(session, replay_id)
    if row.feedback != "no":
        raise Conflict("only replies rated 'not useful' have a failure to explain", field="id")
    if row.failure_explanation is None or refresh:
        result = (reviewer or RuleReviewer()).explain(_case(session, row, with_pool=False))
        row.failure_explanation = result.text
        row.failure_explanation_provenance = result.provenance()
        session.flush()
    return ExplanationOut(
        replay_id=row.id,
        explanation=row.failure_explanation,
        **(row.failure_explanation_provenance or {}),
    )
