"""JSON API of the dashboards, and a CSV of every chart. Thin: parse, call the service."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from smartinbox.analytics import charts, drill, rollups, service
from smartinbox.analytics import feedback as feedback_service
from smartinbox.analytics.periods import PERIOD_LABELS, Period, local_day, resolve, zone
from smartinbox.analytics.schemas import FeedbackAnalyticsOut, Filters, InsightsOut
from smartinbox.analytics.workflow import WorkflowFiguresOut, workflow_figures
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.deps import CurrentUser, SessionDep, SettingsDep
from smartinbox.inbox.schemas import MessageOut
from smartinbox.kit import csvout
from smartinbox.kit.errors import NotFound, ValidationFailed
from smartinbox.kit.ids import Int64Query, row_id
from smartinbox.kit.pagination import MAX_PAGE, Page
from smartinbox.kit.timeutil import utcnow

router = APIRouter(tags=["analytics"])


def fresh_rollups(settings: SettingsDep) -> None:
    """Recompute days changed since the last refresh, in a unit of work of its own.

    It runs before the request's own session opens (so before authentication), because on
    SQLite a read transaction begun earlier could neither see the result nor write after it.
    Without marks it is one indexed read; with marks it only does what the worker would.
    """
    with session_scope(settings, write=False) as session:
        due = rollups.refresh_due(session, settings)
    if due:
        with session_scope(settings) as session:
            rollups.refresh(session, settings)


def _blank(value: str | None) -> str | None:
    # HTML filter forms send "" for "any"; it means the same as leaving the field out.
    return value.strip() if value and value.strip() else None


def _day(value: str | None, field: str) -> date | None:
    value = _blank(value)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(f"{field} must be a date like 2025-03-31", field=field) from exc


def _resolve(
    settings: Settings, default: str, period: str | None, start: str | None, end: str | None
) -> Period:
    today = local_day(utcnow(), zone(settings.team_timezone))
    first, last = _day(start, "start"), _day(end, "end")
    name = _blank(period)
    if name == "custom" and first is None and last is None:
        name = None
    return resolve(name or default, first, last, today)


PeriodQuery = Annotated[
    str | None, Query(description=f"Named period: {', '.join(PERIOD_LABELS)}; start/end win.")
]
DayQuery = Annotated[str | None, Query(description="A day in team time, YYYY-MM-DD.")]


def insights_period(
    settings: SettingsDep, period: PeriodQuery = None, start: DayQuery = None, end: DayQuery = None
) -> Period:
    """Default: this week (Monday to today, team time)."""
    return _resolve(settings, "this_week", period, start, end)


def feedback_period(
    settings: SettingsDep, period: PeriodQuery = None, start: DayQuery = None, end: DayQuery = None
) -> Period:
    """Default: the last 30 days, the seed's usefulness trend."""
    return _resolve(settings, "last_30_days", period, start, end)


def _id(value: str | None, field: str) -> int | None:
    return row_id(_blank(value), field)


def filters(
    channel: Annotated[str | None, Query(max_length=32)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    version_id: Annotated[str | None, Query(description="Assistant version id.")] = None,
    agent_id: Annotated[str | None, Query(description="Id of the assigned agent.")] = None,
) -> Filters:
    return Filters(
        channel=_blank(channel),
        topic=_blank(topic),
        version_id=_id(version_id, "version_id"),
        agent_id=_id(agent_id, "agent_id"),
    )


Fresh = Annotated[None, Depends(fresh_rollups)]
FiltersDep = Annotated[Filters, Depends(filters)]


@router.get("/api/insights", response_model=InsightsOut)
def get_insights(
    _fresh: Fresh,
    _user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: Annotated[Period, Depends(insights_period)],
    filters: FiltersDep,
) -> InsightsOut:
    """Inbox Intelligence: complaints, urgency by hour and weekday, reply usage, escalations."""
    return service.insights(session, settings, period, filters)


@router.get("/api/insights/workflow", response_model=WorkflowFiguresOut)
def get_workflow_figures(
    _user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: Annotated[Period, Depends(insights_period)],
) -> WorkflowFiguresOut:
    """SLA attainment, median first-response and resolution times of the conversations that
    started in the period, and CSAT of the ratings given in it."""
    return workflow_figures(session, settings, period)


@router.get("/api/feedback/analytics", response_model=FeedbackAnalyticsOut)
def get_feedback_analytics(
    _fresh: Fresh,
    _user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: Annotated[Period, Depends(feedback_period)],
    filters: FiltersDep,
) -> FeedbackAnalyticsOut:
    """Usefulness of the suggestions (the seed's five fields first), failures, overrides."""
    return feedback_service.feedback_analytics(session, settings, period, filters)


@router.get("/api/insights/messages", response_model=Page[MessageOut])
def get_messages_behind(
    _user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    metric: str,
    period: Annotated[Period, Depends(insights_period)],
    filters: FiltersDep,
    value: Int64Query = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[MessageOut]:
    """The messages behind a number: every figure's `link` points at this list."""
    return drill.messages_behind(
        session, settings, metric, period, filters, value=value, kind=kind, page=page,
        page_size=page_size,
    )  # fmt: skip


def csv_response(name: str, table: charts.Table) -> Response:
    return Response(
        csvout.to_text(table[0], table[1]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/api/insights/{chart}.csv", response_class=Response)
def insights_csv(
    chart: str,
    _fresh: Fresh,
    _user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: Annotated[Period, Depends(insights_period)],
    filters: FiltersDep,
) -> Response:
    specs = charts.insights_charts(service.insights(session, settings, period, filters))
    if chart not in specs:
        raise NotFound(f"no chart {chart!r}; charts: {', '.join(specs)}", field="chart")
    return csv_response(f"insights-{chart}-{period.start}-{period.end}", charts.table(specs[chart]))


@router.get("/api/feedback/analytics/{chart}.csv", response_class=Response)
def feedback_csv(
    chart: str,
    _fresh: Fresh,
    _user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: Annotated[Period, Depends(feedback_period)],
    filters: FiltersDep,
) -> Response:
    out = feedback_service.feedback_analytics(session, settings, period, filters)
    specs = charts.feedback_charts(out)
    name = f"feedback-{chart}-{period.start}-{period.end}"
    if chart == "rejected":
        return csv_response(name, charts.rejected_table(out))
    if chart not in specs:
        raise NotFound(
            f"no chart {chart!r}; charts: {', '.join([*specs, 'rejected'])}", field="chart"
        )
    return csv_response(name, charts.table(specs[chart]))
