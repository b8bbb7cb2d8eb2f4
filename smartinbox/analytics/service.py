"""Inbox Intelligence, assembled from roll-up sums. Never commits; read-only.

The JSON API, the pages and the CSV downloads all call these functions. A dashboard reads
each roll-up once, at the grain its filters ask for, and works every figure out of those
rows; each figure carries the link to the list of messages behind it (`drill.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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
from smartinbox.models.analytics import DAILY_GRAIN, HOURLY_GRAIN

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
USAGE = {
    "unchanged": "replies_unchanged",
    "edited": "replies_edited",
    "replaced": "replies_replaced",
    "none": "replies_manual",
}


def as_day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass
class Sources:
    """Where figures are summed from: the roll-up tables, or the facts summed on the fly."""

    daily: FromClause
    hourly: FromClause
    rejections: FromClause
    escalations: FromClause
    name: str

    def daily_rows(
        self, session: Session, period: Period, filters: Filters, *group: str
    ) -> list[dict[str, Any]]:
        """Daily sums of the period grouped by `group`, at the grain the filters ask for."""
        grain = _grain(DAILY_GRAIN, filters) if self.name == "rollup" else 0
        rows = repo.daily_rows(session, self.daily, period.start, period.end, filters, grain, group)
        return [_row(r) for r in rows]

    def hourly_rows(
        self, session: Session, period: Period, filters: Filters, group: str
    ) -> list[dict[str, Any]]:
        grain = _grain(HOURLY_GRAIN, filters) if self.name == "rollup" else 0
        rows = repo.hourly_rows(
            session, self.hourly, period.start, period.end, filters, grain, group
        )
        return [_row(r) for r in rows]


def _row(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    if "day" in out:
        out["day"] = as_day(out["day"])
    return out


def _grain(bits: dict[str, int], filters: Filters) -> int:
    """The roll-up grain that sums over exactly the dimensions the filters leave open."""
    return sum(bit for dim, bit in bits.items() if getattr(filters, dim) is None)


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


def total(rows: Iterable[dict[str, Any]], column: str, **match: Any) -> int:
    return int(sum(r[column] for r in rows if all(r[k] == v for k, v in match.items())))


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

    def by_topic(p: Period) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for r in src.daily_rows(session, p, filters, "kind", "topic"):
            if r["kind"] == "complaint":
                counts[r["topic"] or "(none)"] += int(r["messages"])
        return counts

    now, before = by_topic(period), by_topic(prev)
    out = []
    for topic, count in sorted(now.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]:
        previous = before.get(topic, 0)
        link_filters = filters.model_copy(update={"topic": topic})
        out.append(
            ComplaintTopic(
                topic=topic,
                count=count,
                previous=previous,
                change=count - previous,
                change_pct=round((count - previous) * 100 / previous, 1) if previous else None,
                link=drill_link("complaints", period, link_filters),
                previous_link=drill_link("complaints", prev, link_filters),
            )
        )
    return sum(now.values()), out


def _urgency(
    session: Session, src: Sources, period: Period, filters: Filters
) -> tuple[list[UrgencyBucket], list[UrgencyBucket]]:
    """Mean urgency by local hour and weekday. Urgency describes incoming traffic, so the
    version and agent filters do not apply (the hourly roll-up does not keep them)."""
    filters = Filters(channel=filters.channel, topic=filters.topic)
    hours: list[list[float]] = [[0, 0.0] for _ in range(24)]
    days: list[list[float]] = [[0, 0.0] for _ in range(7)]
    for r in src.hourly_rows(session, period, filters, "hour"):
        hours[int(r["hour"])] = [int(r["analysed"]), float(r["urgency_sum"])]
    for r in src.hourly_rows(session, period, filters, "day"):
        days[r["day"].weekday()][0] += int(r["analysed"])
        days[r["day"].weekday()][1] += float(r["urgency_sum"])

    def bucket(metric: str, key: int, label: str, n: float, urgency: float) -> UrgencyBucket:
        return UrgencyBucket(
            key=key,
            label=label,
            avg_urgency=ratio(urgency, n),
            messages=int(n),
            link=drill_link(metric, period, filters, value=key),
        )

    return (
        [bucket("hour", h, f"{h:02d}:00", *hours[h]) for h in range(24)],
        [bucket("weekday", d, WEEKDAYS[d], *days[d]) for d in range(7)],
    )


def _over_time(
    rows: list[dict[str, Any]], period: Period, columns: Iterable[str]
) -> dict[date, dict[str, int]]:
    size = bucket_size(period)
    buckets: dict[date, dict[str, int]] = {}
    for day in period.each_day():
        buckets.setdefault(bucket_of(day, size), dict.fromkeys(columns, 0))
    for r in rows:
        if period.start <= r["day"] <= period.end:
            into = buckets[bucket_of(r["day"], size)]
            for c in into:
                into[c] += int(r[c])
    return dict(sorted(buckets.items()))


def _usage(rows: list[dict[str, Any]], period: Period, filters: Filters) -> ReplyUsage:
    buckets = _over_time(rows, period, USAGE.values())
    n = {key: sum(b[col] for b in buckets.values()) for key, col in USAGE.items()}
    replies = sum(n.values())
    return ReplyUsage(
        bucket=bucket_size(period),
        totals=UsageTotals(
            **n,
            total=replies,
            ai_usage_rate=ratio(n["unchanged"] + n["edited"], replies),
            override_rate=ratio(n["replaced"], n["unchanged"] + n["edited"] + n["replaced"]),
        ),
        series=[
            UsagePoint(start=start, **{key: b[col] for key, col in USAGE.items()})
            for start, b in buckets.items()
        ],
        links={key: drill_link(key, period, filters) for key in USAGE},
    )


def _escalations(
    session: Session,
    settings: Settings,
    src: Sources,
    rows: list[dict[str, Any]],
    period: Period,
    filters: Filters,
) -> Escalations:
    buckets = _over_time(rows, period, ("escalated", "ai_based"))
    listed, _count = repo.listed(
        session, src.escalations, period.start, period.end, filters, "recent", 0,
        settings.analytics_top_n,
    )  # fmt: skip
    texts = repo.interaction_texts(session, [r.message_id for r in listed])
    escalated = sum(b["escalated"] for b in buckets.values())
    ai_based = sum(b["ai_based"] for b in buckets.values())
    return Escalations(
        count=escalated,
        ai_based=ai_based,
        rate=ratio(escalated, ai_based),
        window_hours=settings.analytics_escalation_window_h,
        link=drill_link("escalated", period, filters),
        series=[
            EscalationPoint(start=start, escalated=b["escalated"], ai_based=b["ai_based"])
            for start, b in buckets.items()
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


def insights(
    session: Session, settings: Settings, period: Period, filters: Filters, *, scan: bool = False
) -> InsightsOut:
    prev = period.previous()
    src = sources(session, settings, prev.start, period.end, scan=scan)
    current = src.daily_rows(session, period, filters, "day")
    complaints, top = _complaints(session, src, period, filters, settings.analytics_top_n)
    by_hour, by_weekday = _urgency(session, src, period, filters)
    return InsightsOut(
        period=period_out(period, settings),
        previous_period=period_out(prev, settings),
        filters=filters.query(),
        source=src.name,
        messages=total(current, "messages"),
        messages_link=drill_link("messages", period, filters),
        complaints=complaints,
        top_complaints=top,
        urgency_by_hour=by_hour,
        urgency_by_weekday=by_weekday,
        reply_usage=_usage(current, period, filters),
        escalations=_escalations(session, settings, src, current, period, filters),
    )


def filter_choices(session: Session) -> dict[str, list[tuple[Any, str]]]:
    return repo.choices(session)
