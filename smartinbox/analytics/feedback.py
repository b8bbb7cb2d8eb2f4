"""Feedback analytics: how useful agents find the suggestions, and where they fail.

`feedback_analytics` answers `GET /api/feedback/analytics` in the seed's shape. A rating counts
while it is current (a re-rating retires the earlier one) and on the day its message was
received, so a late rating lands on the day of the conversation it judges.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from smartinbox.analytics import repository as repo
from smartinbox.analytics.links import drill_link
from smartinbox.analytics.periods import Period
from smartinbox.analytics.schemas import (
    DailyUsefulness,
    FeedbackAnalyticsOut,
    Filters,
    NegativeMessage,
    OverrideCase,
    TopicFailure,
)
from smartinbox.analytics.service import period_out, ratio, sources
from smartinbox.config import Settings


def negative_messages(
    session: Session,
    settings: Settings,
    period: Period,
    filters: Filters,
    *,
    order: str = "rank",
    offset: int = 0,
    limit: int | None = None,
    scan: bool = False,
) -> tuple[list[NegativeMessage], int, str]:
    """Messages whose suggestion drew "not useful": most rejected first, or most recent."""
    src = sources(session, settings, period.start, period.end, scan=scan)
    rows, total = repo.listed(
        session,
        src.rejections,
        period.start,
        period.end,
        filters,
        order,
        offset,
        limit or settings.analytics_top_n,
    )
    texts = repo.interaction_texts(session, [r.message_id for r in rows])
    items = [
        NegativeMessage(
            message=texts[r.message_id]["message"],
            aiReply=texts[r.message_id]["ai_reply"],
            agentReply=texts[r.message_id]["agent_reply"],
            messageId=r.message_id,
            subject=texts[r.message_id]["subject"],
            topic=r.topic,
            rejections=int(r.rejections),
            lowestScore=r.lowest_score,
            agentUsage=texts[r.message_id]["usage"],
            link=f"/messages/{r.message_id}",
        )
        for r in rows
    ]
    return items, total, src.name


def _failed_topics(
    rows: list[dict[str, Any]], period: Period, filters: Filters, top_n: int
) -> list[TopicFailure]:
    by_topic: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        into = by_topic[r["topic"] or "(none)"]
        into[0] += int(r["ratings"])
        into[1] += int(r["useful"])
    failed = sorted(
        ((n - ok, n, topic) for topic, (n, ok) in by_topic.items() if n > ok),
        key=lambda t: (-t[0], t[2]),
    )[:top_n]
    return [
        TopicFailure(
            topic=topic,
            not_useful=bad,
            total=n,
            not_useful_rate=ratio(bad, n),
            link=drill_link("not_useful", period, filters.model_copy(update={"topic": topic})),
        )
        for bad, n, topic in failed
    ]


def _override_cases(
    rows: list[dict[str, Any]], period: Period, filters: Filters, top_n: int
) -> list[OverrideCase]:
    cases: dict[tuple[str | None, str | None], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        into = cases[(r["kind"], r["topic"])]
        into[0] += int(r["replies_replaced"])
        into[1] += int(r["replies_edited"])
    ranked = sorted(
        ((k, v) for k, v in cases.items() if v[0] + v[1] > 0),
        key=lambda kv: (-kv[1][0], -kv[1][1], kv[0][0] or "", kv[0][1] or ""),
    )[:top_n]
    return [
        OverrideCase(
            kind=kind,
            topic=topic,
            replaced=replaced,
            edited=edited,
            link=drill_link(
                "overridden", period, filters.model_copy(update={"topic": topic}), kind=kind
            ),
        )
        for (kind, topic), (replaced, edited) in ranked
    ]


def feedback_analytics(
    session: Session, settings: Settings, period: Period, filters: Filters, *, scan: bool = False
) -> FeedbackAnalyticsOut:
    src = sources(session, settings, period.start, period.end, scan=scan)
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for r in src.daily_rows(session, period, filters, "day"):
        per_day[r["day"]][0] += int(r["useful"])
        per_day[r["day"]][1] += int(r["ratings"])
    daily = [
        DailyUsefulness(date=day.isoformat(), useful=per_day[day][0], total=per_day[day][1])
        for day in period.each_day()
    ]
    total = sum(d.total for d in daily)
    useful = sum(d.useful for d in daily)
    kinds = src.daily_rows(session, period, filters, "kind", "topic")
    negatives, rejected, _ = negative_messages(session, settings, period, filters, scan=scan)
    return FeedbackAnalyticsOut(
        total=total,
        usefulCount=useful,
        notUsefulCount=total - useful,
        dailyBreakdown=daily,
        topNegativeMessages=negatives,
        usefulRate=ratio(useful, total),
        period=period_out(period, settings),
        filters=filters.query(),
        source=src.name,
        links={
            "total": drill_link("rated", period, filters),
            "useful": drill_link("useful", period, filters),
            "notUseful": drill_link("not_useful", period, filters),
        },
        failedTopics=_failed_topics(kinds, period, filters, settings.analytics_top_n),
        overrideCases=_override_cases(kinds, period, filters, settings.analytics_top_n),
        rejectedTotal=rejected,
    )
