"""Chart specifications and CSV tables, both made from the dashboards' outputs.

A spec is plain JSON that `static/charts.js` turns into a Chart.js chart: labels, datasets,
axis titles and, for every bar or point, the link to the messages behind it. The CSV of a
chart is the same numbers as rows, so what is downloaded is what is drawn.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from smartinbox.analytics.links import drill_link
from smartinbox.analytics.periods import Period
from smartinbox.analytics.schemas import FeedbackAnalyticsOut, Filters, InsightsOut

Spec = dict[str, Any]
Table = tuple[list[str], list[list[Any]]]
USAGE_LABELS = {
    "unchanged": "Sent unchanged",
    "edited": "Edited",
    "replaced": "Replaced by agent",
    "none": "No suggestion",
}


def _spec(kind: str, labels: list[str], datasets: list[dict[str, Any]], **opts: Any) -> Spec:
    empty = not any(v for d in datasets for v in d["data"] if v)
    return {"type": kind, "labels": labels, "datasets": datasets, "empty": empty, **opts}


def _filters(out: InsightsOut | FeedbackAnalyticsOut) -> Filters:
    return Filters.model_validate(out.filters)


def _bucket_period(start: date, size: str, period: Period) -> Period:
    end = start + timedelta(days=0 if size == "day" else 6)
    return Period("custom", max(start, period.start), min(end, period.end))


def insights_charts(out: InsightsOut) -> dict[str, Spec]:
    tz = out.period.timezone
    period = Period(out.period.name, out.period.start, out.period.end)
    top = out.top_complaints
    usage = out.reply_usage
    unit = "Day" if usage.bucket == "day" else "Week starting"
    filters = _filters(out)
    spans = [_bucket_period(p.start, usage.bucket, period) for p in usage.series]
    return {
        "complaints": _spec(
            "bar",
            [t.topic for t in top],
            [
                {"label": "This period", "data": [t.count for t in top], "links": [t.link for t in top]},
                {"label": "Previous period", "data": [t.previous for t in top],
                 "links": [t.previous_link for t in top]},
            ],
            horizontal=True, xTitle="Complaints (messages)", yTitle="Topic",
        ),
        "urgency_by_hour": _spec(
            "bar",
            [b.label for b in out.urgency_by_hour],
            [{"label": "Average urgency", "data": [b.avg_urgency for b in out.urgency_by_hour],
              "links": [b.link for b in out.urgency_by_hour]}],
            xTitle=f"Hour of day ({tz})", yTitle="Average urgency (0–1)", yMax=1,
        ),
        "urgency_by_weekday": _spec(
            "bar",
            [b.label for b in out.urgency_by_weekday],
            [{"label": "Average urgency", "data": [b.avg_urgency for b in out.urgency_by_weekday],
              "links": [b.link for b in out.urgency_by_weekday]}],
            xTitle=f"Weekday ({tz})", yTitle="Average urgency (0–1)", yMax=1,
        ),
        "reply_usage": _spec(
            "bar",
            [p.start.isoformat() for p in usage.series],
            [
                {"label": label, "data": [getattr(p, key) for p in usage.series],
                 "links": [drill_link(key, span, filters) for span in spans]}
                for key, label in USAGE_LABELS.items()
            ],
            stacked=True, xTitle=unit, yTitle="Agent replies",
        ),
        "escalations": _spec(
            "bar",
            [p.start.isoformat() for p in out.escalations.series],
            [{"label": "Needed escalation", "data": [p.escalated for p in out.escalations.series],
              "links": [drill_link("escalated", span, filters) for span in spans]}],
            xTitle=unit, yTitle="Messages",
        ),
    }  # fmt: skip


def feedback_charts(out: FeedbackAnalyticsOut) -> dict[str, Spec]:
    filters = _filters(out)
    days = out.dailyBreakdown
    pct = [round(d.useful * 100 / d.total, 1) if d.total else None for d in days]
    return {
        "usefulness": _spec(
            "pie",
            ["Useful", "Not useful"],
            [{"label": "Ratings", "data": [out.usefulCount, out.notUsefulCount],
              "links": [out.links["useful"], out.links["notUseful"]]}],
        ),
        "daily": _spec(
            "line",
            [d.date for d in days],
            [{"label": "% useful", "data": pct,
              "links": [drill_link("rated", _day(d.date), filters) for d in days]}],
            xTitle="Day", yTitle="Rated useful (%)", yMax=100, percent=True,
        ),
        "failed_topics": _spec(
            "bar",
            [t.topic for t in out.failedTopics],
            [{"label": "Not useful", "data": [t.not_useful for t in out.failedTopics],
              "links": [t.link for t in out.failedTopics]}],
            horizontal=True, xTitle="Ratings “not useful”", yTitle="Topic",
        ),
        "override_cases": _spec(
            "bar",
            [f"{c.kind or '—'} / {c.topic or '—'}" for c in out.overrideCases],
            [
                {"label": "Replaced", "data": [c.replaced for c in out.overrideCases],
                 "links": [c.link for c in out.overrideCases]},
                {"label": "Edited", "data": [c.edited for c in out.overrideCases],
                 "links": [c.link for c in out.overrideCases]},
            ],
            horizontal=True, stacked=True, xTitle="Agent replies", yTitle="Kind / topic",
        ),
    }  # fmt: skip


def _day(iso: str) -> Period:
    day = date.fromisoformat(iso)
    return Period("custom", day, day)


def table(spec: Spec) -> Table:
    """A chart's numbers as CSV rows: one column per dataset."""
    header = ["label", *(d["label"] for d in spec["datasets"])]
    rows = [
        [label, *(d["data"][i] for d in spec["datasets"])] for i, label in enumerate(spec["labels"])
    ]
    return header, rows


def rejected_table(out: FeedbackAnalyticsOut) -> Table:
    header = ["messageId", "message", "aiReply", "agentReply", "rejections", "lowestScore"]
    rows = [
        [n.messageId, n.message, n.aiReply, n.agentReply, n.rejections, n.lowestScore]
        for n in out.topNegativeMessages
    ]
    return header, rows
