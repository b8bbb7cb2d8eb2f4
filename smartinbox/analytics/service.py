"""The two dashboards, assembled from roll-up sums. Never commits; read-only.

The JSON API, the pages and the CSV downloads all call these functions. Each figure carries
the link to the list of messages behind it (`drill.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import FromClause
from sqlalchemy.orm import Session

from smartinbox.analytics import repository as repo
from smartinbox.analytics import rollups
from smartinbox.analytics.links import drill_link
from smartinbox.analytics.periods import Period, bucket_of, bucket_size, zone
from smartinbox.analytics.schemas import (
    ComplaintTopic,
    EscalatedMessage,
    EscalationPoint,
    Escalations,
    Filters,
    InsightsOut,
    PeriodOut,
    ReplyUsage,
    UrgencyBucket,
    UsagePoint,
    UsageTotals,
)
from smartinbox.config import Settings
from smartinbox.models import (
    AnalyticsDaily,
    AnalyticsEscalation,
    AnalyticsHourly,
    AnalyticsRejection,
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
USAGE_COLUMNS = ("replies_unchanged", "replies_edited", "replies_replaced", "replies_manual")


@dataclass
class Sources:
    """Where figures are summed from: the roll-up tables, or the facts summed on the fly."""

    daily: FromClause
    hourly: FromClause
    rejections: FromClause
    escalations: FromClause
    name: str


def sources(
    session: Session, settings: Settings, first: date, last: date, *, scan: bool = False
) -> Sources:
    if not scan and rollups.is_current(session, settings):
        return Sources(
            AnalyticsDaily.__table__,
            AnalyticsHourly.__table__,
            AnalyticsRejection.__table__,
            AnalyticsEscalation.__table__,
            "rollup",
        )
    tz = zone(settings.team_timezone)
    lo, hi = Period("scan", first, last).utc_bounds(tz)
    f = repo.facts(session, settings.team_timezone, rollups.window_s(settings), lo, hi)
    return Sources(
        repo.daily_from(f).subquery("daily"),
        repo.hourly_from(f).subquery("hourly"),
        repo.rejections_from(f, lo, hi).subquery("rejections"),
        repo.escalations_from(f).subquery("escalations"),
        "scan",
    )


def ratio(part: int | float, whole: int | float) -> float | None:
    return round(part / whole, 4) if whole else None


def period_out(period: Period, settings: Settings) -> PeriodOut:
    return PeriodOut(
        name=period.name,
        start=period.start,
        end=period.end,
        label=period.label,
        timezone=settings.team_timezone,
    )


def _complaints(
    session: Session, src: Sources, period: Period, filters: Filters, top_n: int
) -> tuple[int, list[ComplaintTopic]]:
    prev = period.previous()
    is_complaint = [src.daily.c.kind == "complaint"]

    def by_topic(p: Period) -> dict[str, int]:
        rows = repo.sums(
            session, src.daily, p.start, p.end, filters, ["topic"], ["messages"], extra=is_complaint
        )
        return {r.topic or "(none)": int(r.messages) for r in rows}

    now, before = by_topic(period), by_topic(prev)
    ranked = sorted(now.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]
    out = []
    for topic, count in ranked:
        previous = before.get(topic, 0)
        pct = round((count - previous) * 100 / previous, 1) if previous else None
        link_filters = filters.model_copy(update={"topic": topic})
        out.append(
            ComplaintTopic(
                topic=topic,
                count=count,
                previous=previous,
                change=count - previous,
                change_pct=pct,
                link=drill_link("complaints", period, link_filters),
                previous_link=drill_link("complaints", prev, link_filters),
            )
        )
    return sum(now.values()), out


def _urgency(
    session: Session, src: Sources, period: Period, filters: Filters
) -> tuple[list[UrgencyBucket], list[UrgencyBucket]]:
    """Mean urgency by local hour and weekday; by nature of incoming traffic, so only the
    channel and topic filters apply."""
    cols = ["analysed", "urgency_sum"]
    dims = ("channel", "topic")
    filters = Filters(channel=filters.channel, topic=filters.topic)
    hours = {
        int(r.hour): r
        for r in repo.sums(
            session, src.hourly, period.start, period.end, filters, ["hour"], cols, dims=dims
        )
    }
    week: dict[int, list[float]] = {d: [0, 0.0] for d in range(7)}
    for r in repo.sums(
        session, src.hourly, period.start, period.end, filters, ["day"], cols, dims=dims
    ):
        day = r.day if isinstance(r.day, date) else date.fromisoformat(r.day)
        week[day.weekday()][0] += int(r.analysed)
        week[day.weekday()][1] += float(r.urgency_sum)
    by_hour = []
    for h in range(24):
        n, total = (int(hours[h].analysed), float(hours[h].urgency_sum)) if h in hours else (0, 0.0)
        by_hour.append(
            UrgencyBucket(
                key=h,
                label=f"{h:02d}:00",
                avg_urgency=ratio(total, n),
                messages=n,
                link=drill_link("hour", period, filters, value=h),
            )
        )
    by_weekday = [
        UrgencyBucket(
            key=d,
            label=WEEKDAYS[d],
            avg_urgency=ratio(week[d][1], int(week[d][0])),
            messages=int(week[d][0]),
            link=drill_link("weekday", period, filters, value=d),
        )
        for d in range(7)
    ]
    return by_hour, by_weekday


def _usage_and_escalations(
    session: Session, settings: Settings, src: Sources, period: Period, filters: Filters
) -> tuple[ReplyUsage, Escalations]:
    cols = [*USAGE_COLUMNS, "ai_based", "escalated"]
    rows = repo.sums(session, src.daily, period.start, period.end, filters, ["day"], cols)
    size = bucket_size(period)
    buckets: dict[date, dict[str, int]] = {}
    for day in period.each_day():
        buckets.setdefault(bucket_of(day, size), dict.fromkeys(cols, 0))
    for r in rows:
        day = r.day if isinstance(r.day, date) else date.fromisoformat(r.day)
        into = buckets[bucket_of(day, size)]
        for c in cols:
            into[c] += int(getattr(r, c))
    total = {c: sum(b[c] for b in buckets.values()) for c in cols}
    unchanged, edited, replaced, manual = (total[c] for c in USAGE_COLUMNS)
    replies = unchanged + edited + replaced + manual
    usage = ReplyUsage(
        bucket=size,
        totals=UsageTotals(
            unchanged=unchanged,
            edited=edited,
            replaced=replaced,
            none=manual,
            total=replies,
            ai_usage_rate=ratio(unchanged + edited, replies),
            override_rate=ratio(replaced, unchanged + edited + replaced),
        ),
        series=[
            UsagePoint(
                start=start,
                unchanged=b["replies_unchanged"],
                edited=b["replies_edited"],
                replaced=b["replies_replaced"],
                none=b["replies_manual"],
            )
            for start, b in sorted(buckets.items())
        ],
        links={
            u: drill_link(u, period, filters) for u in ("unchanged", "edited", "replaced", "none")
        },
    )
    listed, _count = repo.listed(
        session,
        src.escalations,
        period.start,
        period.end,
        filters,
        "recent",
        0,
        settings.analytics_top_n,
    )
    texts = repo.interaction_texts(session, [r.message_id for r in listed])
    escalations = Escalations(
        count=total["escalated"],
        ai_based=total["ai_based"],
        rate=ratio(total["escalated"], total["ai_based"]),
        window_hours=settings.analytics_escalation_window_h,
        link=drill_link("escalated", period, filters),
        series=[
            EscalationPoint(start=start, escalated=b["escalated"], ai_based=b["ai_based"])
            for start, b in sorted(buckets.items())
        ],
        items=[
            EscalatedMessage(
                message_id=r.message_id,
                subject=texts[r.message_id]["subject"] or texts[r.message_id]["message"][:80],
                received_at=r.received_at,
                reason=r.reason,
                link=f"/messages/{r.message_id}",
            )
            for r in listed
        ],
    )
    return usage, escalations


def insights(
    session: Session, settings: Settings, period: Period, filters: Filters, *, scan: bool = False
) -> InsightsOut:
    prev = period.previous()
    src = sources(session, settings, prev.start, period.end, scan=scan)
    totals = repo.sums(session, src.daily, period.start, period.end, filters, [], ["messages"])
    complaints, top = _complaints(session, src, period, filters, settings.analytics_top_n)
    by_hour, by_weekday = _urgency(session, src, period, filters)
    usage, escalations = _usage_and_escalations(session, settings, src, period, filters)
    return InsightsOut(
        period=period_out(period, settings),
        previous_period=period_out(prev, settings),
        filters=filters.query(),
        source=src.name,
        messages=int(totals[0].messages) if totals else 0,
        messages_link=drill_link("messages", period, filters),
        complaints=complaints,
        top_complaints=top,
        urgency_by_hour=by_hour,
        urgency_by_weekday=by_weekday,
        reply_usage=usage,
        escalations=escalations,
    )


def filter_choices(session: Session) -> dict[str, list[tuple[Any, str]]]:
    return repo.choices(session)
