"""The dashboard pages. Thin: the same services as the JSON API, rendered with charts."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from smartinbox.analytics import charts, drill, service
from smartinbox.analytics import feedback as feedback_service
from smartinbox.analytics.endpoints import FiltersDep, Fresh, feedback_period, insights_period
from smartinbox.analytics.periods import PERIOD_LABELS, Period
from smartinbox.analytics.schemas import Filters, NegativeMessage
from smartinbox.analytics.workflow import workflow_figures
from smartinbox.deps import CurrentUser, SessionDep, SettingsDep
from smartinbox.kit.ids import Int64Query
from smartinbox.kit.pagination import MAX_PAGE
from smartinbox.web.views import render

router = APIRouter(include_in_schema=False)
TABS = {
    "overview": "Overview",
    "trends": "Trends",
    "replay": "Replay",
    "rejected": "Most rejected replies",
}


def _query(period: Period, filters: Filters, **extra: Any) -> str:
    params = {"start": str(period.start), "end": str(period.end), **filters.query()}
    params.update({k: str(v) for k, v in extra.items() if v is not None})
    return urlencode(params)


def _form(
    session: SessionDep, period: Period, filters: Filters, request: Request
) -> dict[str, Any]:
    return {
        "period": period,
        "filters": filters,
        "choices": service.filter_choices(session),
        "period_labels": PERIOD_LABELS,
        "chosen_period": request.query_params.get("period")
        or ("custom" if "start" in request.query_params else None),
        "query": _query(period, filters),
    }


@router.get("/insights", response_class=HTMLResponse)
def insights_page(
    request: Request,
    _fresh: Fresh,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: Annotated[Period, Depends(insights_period)],
    filters: FiltersDep,
) -> HTMLResponse:
    out = service.insights(session, settings, period, filters)
    ctx = {
        "out": out,
        "charts": charts.insights_charts(out),
        "workflow": workflow_figures(session, settings, period),
        **_form(session, period, filters, request),
    }
    return render(request, "analytics/insights.html", ctx, user=user)


@router.get("/feedback/analytics", response_class=HTMLResponse)
def feedback_page(
    request: Request,
    _fresh: Fresh,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: Annotated[Period, Depends(feedback_period)],
    filters: FiltersDep,
    tab: Literal["overview", "trends", "replay", "rejected"] = "overview",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    out = feedback_service.feedback_analytics(session, settings, period, filters)
    replay: list[NegativeMessage] = []
    replay_total = 0
    size = settings.default_page_size
    if tab == "replay":
        replay, replay_total, _ = feedback_service.negative_messages(
            session, settings, period, filters, order="recent", offset=(page - 1) * size, limit=size
        )
    ctx = {
        "out": out,
        "charts": charts.feedback_charts(out),
        "tab": tab,
        "tabs": TABS,
        "replay": replay,
        "replay_total": replay_total,
        "page_no": page,
        "pages": max(1, -(-replay_total // size)),
        **_form(session, period, filters, request),
    }
    return render(request, "analytics/feedback.html", ctx, user=user)


@router.get("/insights/messages", response_class=HTMLResponse)
def messages_page(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    metric: str,
    period: Annotated[Period, Depends(insights_period)],
    filters: FiltersDep,
    value: Int64Query = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    result = drill.messages_behind(
        session, settings, metric, period, filters, value=value, kind=kind, page=page
    )
    ctx = {
        "page": result,
        "metric": metric,
        "metric_label": drill.METRICS.get(metric, metric),
        "value": value,
        "kind": kind,
        "period": period,
        "filters": filters,
        "timezone": settings.team_timezone,
    }
    return render(request, "analytics/messages.html", ctx, user=user)
