"""Feedback analytics: how useful agents find the suggestions, and where they fail.

`feedback_analytics` answers `GET /api/feedback/analytics` in the seed's shape. A rating counts
while it is current (a re-rating retires the earlier one) and on the day its message was
received, so a late rating lands on the day of the conversation it judges.
"""

from __future__ import annotations

from datetime import date

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


def feedback_analytics(
    session: Session, settings: Settings, period: Period, filters: Filters, *, scan: bool = False
) -> FeedbackAnalyticsOut:
    src = sources(session, settings, period.start, period.end, scan=scan)
    cols = ["ratings", "useful"]
    per_day = {
        (r.day if isinstance(r.day, date) else date.fromisoformat(r.day)): r
        for r in repo.sums(session, src.daily, period.start, period.end, filters, ["day"], cols)
    }
    daily = [
        DailyUsefulness(
            date=day.isoformat(),
            useful=int(per_day[day].useful) if day in per_day else 0,
            total=int(per_day[day].ratings) if day in per_day else 0,
        )
        for day in period.each_day()
    ]
    total = sum(d.total for d in daily)
    useful = sum(d.useful for d in daily)
    top_n = settings.analytics_top_n
    topics = repo.sums(session, src.daily, period.start, period.end, filters, ["topic"], cols)
    failed = sorted(
        (
            (int(r.ratings) - int(r.useful), int(r.ratings), r.topic or "(none)")
            for r in topics
            if int(r.ratings) > int(r.useful)
        ),
        key=lambda t: (-t[0], t[2]),
    )[:top_n]
    overrides = repo.sums(
        session,
        src.daily,
        period.start,
        period.end,
        filters,
        ["kind", "topic"],
        ["replies_replaced", "replies_edited"],
    )
    cases = sorted(
        (r for r in overrides if int(r.replies_replaced) + int(r.replies_edited) > 0),
        key=lambda r: (
            -int(r.replies_replaced),
            -int(r.replies_edited),
            r.kind or "",
            r.topic or "",
        ),
    )[:top_n]
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
        failedTopics=[
            TopicFailure(
                topic=topic,
                not_useful=bad,
                total=n,
                not_useful_rate=ratio(bad, n),
                link=drill_link("not_useful", period, filters.model_copy(update={"topic": topic})),
            )
            for bad, n, topic in failed
        ],
        overrideCases=[
            OverrideCase(
                kind=r.kind,
                topic=r.topic,
                replaced=int(r.replies_replaced),
                edited=int(r.replies_edited),
                link=drill_link(
                    "overridden",
                    period,
                    filters.model_copy(update={"topic": r.topic}),
                    kind=r.kind,
                ),
            )
            for r in cases
        ],
        rejectedTotal=rejected,
    )
