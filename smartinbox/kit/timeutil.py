"""Time helpers: everything stored is UTC.

Conversions never raise on extreme values: a moment whose UTC reading falls outside what
`datetime` can hold (year 1 at +14:00, year 9999 at -12:00) is clamped to the nearest
representable instant, and callers that care bound the result with `outside_window`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

UTC_MIN = datetime.min.replace(tzinfo=UTC)
UTC_MAX = datetime.max.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC (naive values are taken as UTC), clamped to what fits."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        offset = value.utcoffset() or timedelta(0)
        return UTC_MIN if offset > timedelta(0) else UTC_MAX


def parse_datetime(value: str) -> datetime:
    """ISO 8601 (with Z), or a date; naive values are taken as UTC. ValueError if unreadable."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{value!r} is not an ISO 8601 date or date-time") from exc
    return as_utc(parsed)


def outside_window(value: datetime, earliest: datetime, max_future_s: float) -> str | None:
    """Why `value` is not a plausible time for something that already happened, or None."""
    moment = as_utc(value)
    if moment < as_utc(earliest):
        return f"must not be before {as_utc(earliest).isoformat()}"
    latest = utcnow() + timedelta(seconds=max_future_s)
    if moment > latest:
        return f"must not be more than {int(max_future_s)} s in the future"
    return None


def shift(value: datetime, delta: timedelta) -> datetime:
    """`value + delta`, clamped instead of raising OverflowError."""
    try:
        return value + delta
    except OverflowError:
        return UTC_MAX if delta > timedelta(0) else UTC_MIN
