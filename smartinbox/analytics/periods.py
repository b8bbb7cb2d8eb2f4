"""Periods in the team's timezone: which local days a dashboard covers, and their UTC bounds.

Every figure counts a message on the day (and hour) it was received, read on the team's wall
clock (`SMARTINBOX_TEAM_TIMEZONE`). A period is a run of whole local days; the previous period
is the run of the same length just before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smartinbox.kit.errors import ValidationFailed

PeriodName = Literal[
    "today", "this_week", "last_7_days", "last_30_days", "this_month", "last_365_days", "custom"
]
PERIOD_LABELS: dict[str, str] = {
    "today": "Today",
    "this_week": "This week",
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "this_month": "This month",
    "last_365_days": "Last 365 days",
    "custom": "Custom",
}
MAX_DAYS = 3 * 366


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(
            f"team_timezone {name!r} is not an IANA timezone such as Europe/Berlin",
            field="team_timezone",
        ) from exc


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def day_start_utc(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant a local day begins (DST-aware: some days have 23 or 25 hours)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    name: str
    start: date  # first local day, inclusive
    end: date  # last local day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        length = timedelta(days=self.days)
        return Period("previous", self.start - length, self.end - length)

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        return day_start_utc(self.start, tz), day_start_utc(self.end + timedelta(days=1), tz)

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def label(self) -> str:
        if self.name != "custom" and self.name in PERIOD_LABELS:
            return f"{PERIOD_LABELS[self.name]} ({self.start} – {self.end})"
        return f"{self.start} – {self.end}"


def resolve(name: str | None, start: date | None, end: date | None, today: date) -> Period:
    """The period a request names; explicit start/end make it custom."""
    if start is not None or end is not None or name == "custom":
        first = start or end or today
        last = end or today
        if last < first:
            raise ValidationFailed("end must not be before start", field="end")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValidationFailed(f"a period spans at most {MAX_DAYS} days", field="start")
        return Period("custom", first, last)
    name = name or "this_week"
    if name == "today":
        return Period(name, today, today)
    if name == "this_week":
        return Period(name, today - timedelta(days=today.weekday()), today)
    if name == "last_7_days":
        return Period(name, today - timedelta(days=6), today)
    if name == "last_30_days":
        return Period(name, today - timedelta(days=29), today)
    if name == "this_month":
        return Period(name, today.replace(day=1), today)
    if name == "last_365_days":
        return Period(name, today - timedelta(days=364), today)
    raise ValidationFailed(f"period must be one of {', '.join(PERIOD_LABELS)}", field="period")


def bucket_size(period: Period) -> Literal["day", "week"]:
    """Charts over time show days up to about two months, weeks beyond."""
    return "day" if period.days <= 62 else "week"


def bucket_of(day: date, size: str) -> date:
    return day if size == "day" else day - timedelta(days=day.weekday())
