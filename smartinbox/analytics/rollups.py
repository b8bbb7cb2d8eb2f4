"""Keeping the roll-ups equal to the source tables. Never commits.

Design: the roll-ups are never incremented in place. Database triggers mark the day of every
changed source row (a message, its analysis, suggestion, agent reply, rating or event) in
`analytics_dirty`, whoever wrote it; `refresh` recomputes those whole days from the source
tables. A late rating, a re-rating that retires the old one, a reassignment: each only marks a
day, and a recomputed day is right by construction. A message from a customer also marks the
days of that customer's recent AI-answered messages, which it may turn into escalations.

`refresh` runs every minute in the worker and before every dashboard read that finds marks,
so dashboards never show a stale day. The roll-ups are built for one team timezone and one
escalation window; when either setting changes they are rebuilt (`rebuild_*`, in chunks
that each fit a short transaction), and until then the dashboards read the source tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from smartinbox.analytics import repository as repo
from smartinbox.analytics.periods import day_start_utc, local_day, zone
from smartinbox.config import Settings
from smartinbox.kit.timeutil import as_utc, shift, utcnow

REBUILD_CHUNK_DAYS = 14


def built_for(settings: Settings) -> dict[str, str]:
    return {
        "timezone": settings.team_timezone,
        "escalation_window_h": repr(float(settings.analytics_escalation_window_h)),
    }


def window_s(settings: Settings) -> float:
    return float(settings.analytics_escalation_window_h) * 3600.0


def is_current(session: Session, settings: Settings) -> bool:
    state = repo.get_state(session)
    return state.get("status") == "built" and all(
        state.get(k) == v for k, v in built_for(settings).items()
    )


def refresh_due(session: Session, settings: Settings) -> bool:
    """Marks wait and the roll-ups match the settings (a rebuild is the worker's job)."""
    return repo.has_dirty(session) and is_current(session, settings)


def _runs(days: list[date]) -> Iterator[list[date]]:
    """Consecutive days together, so one query recomputes each run."""
    run: list[date] = []
    for day in sorted(days):
        if run and day != run[-1] + timedelta(days=1):
            yield run
            run = []
        run.append(day)
    if run:
        yield run


def day_range(settings: Settings) -> tuple[date, date]:
    """The local days the roll-ups cover: the window ingest accepts, with a day to spare.

    Rows stored before ingest bounded received_at (year 1, year 9999) fall outside it and are
    left out of the roll-ups, so no day arithmetic can overflow and a rebuild stays short.
    """
    earliest = as_utc(settings.received_at_earliest)
    latest = shift(utcnow(), timedelta(seconds=settings.received_at_max_future_s, days=2))
    return earliest.date() - timedelta(days=1), latest.date()


def _in_range(days: set[date] | list[date], settings: Settings) -> list[date]:
    first, last = day_range(settings)
    return sorted(d for d in days if first <= d <= last)


def _local_day(moment: datetime, tz: ZoneInfo) -> date | None:
    try:
        return local_day(moment, tz)
    except OverflowError:
        return None


def recompute(session: Session, settings: Settings, days: list[date]) -> None:
    tz = zone(settings.team_timezone)
    for run in _runs(_in_range(days, settings)):
        repo.delete_rollups(session, run)
        lo, hi = day_start_utc(run[0], tz), day_start_utc(run[-1] + timedelta(days=1), tz)
        repo.insert_rollups(
            session, settings.team_timezone, window_s(settings), (run[0], run[-1]), lo, hi
        )


def refresh(session: Session, settings: Settings) -> int:
    """Recompute the days marked since the last run; returns how many days."""
    repo.lock_writers(session)
    if not is_current(session, settings):
        return 0  # a rebuild is due; marks stay until it has run
    claimed = repo.claim_dirty(session)
    if not claimed:
        return 0
    tz = zone(settings.team_timezone)
    found = {_local_day(received, tz) for received, _ in claimed}
    customers = sorted({cid for _, cid in claimed if cid is not None})
    if customers:
        since = min(r for r, cid in claimed if cid is not None)
        since = shift(as_utc(since), -timedelta(seconds=window_s(settings)))
        found |= {_local_day(r, tz) for r in repo.replied_before(session, customers, since)}
    days = _in_range({d for d in found if d is not None}, settings)
    recompute(session, settings, days)
    return len(days)


# -- rebuild, in chunks: the caller commits after each step ----------------------------------


def rebuild_start(session: Session, settings: Settings) -> list[tuple[date, date]]:
    """Empty the roll-ups and plan the chunks of local days to fill them again."""
    repo.lock_writers(session)
    repo.set_state(session, {"status": "building"})
    repo.clear_dirty(session)
    repo.delete_rollups(session, None)
    first, last = repo.received_range(session)
    if first is None or last is None:
        return []
    tz = zone(settings.team_timezone)
    lowest, highest = day_range(settings)
    start = max(lowest, _local_day(first, tz) or lowest)
    end = min(highest, _local_day(last, tz) or highest)
    chunks = []
    while start <= end:
        stop = min(end, start + timedelta(days=REBUILD_CHUNK_DAYS - 1))
        chunks.append((start, stop))
        start = stop + timedelta(days=1)
    return chunks


def rebuild_chunk(session: Session, settings: Settings, chunk: tuple[date, date]) -> None:
    repo.lock_writers(session)
    tz = zone(settings.team_timezone)
    lo, hi = day_start_utc(chunk[0], tz), day_start_utc(chunk[1] + timedelta(days=1), tz)
    repo.insert_rollups(session, settings.team_timezone, window_s(settings), chunk, lo, hi)


def rebuild_finish(session: Session, settings: Settings) -> None:
    """Mark the roll-ups built; changes made meanwhile are still marked and refresh next."""
    repo.lock_writers(session)
    stamp = utcnow().astimezone(UTC).isoformat()
    repo.set_state(session, {"status": "built", "built_at": stamp, **built_for(settings)})
    repo.analyze_tables(session)


def status(session: Session, settings: Settings) -> dict[str, object]:
    state = repo.get_state(session)
    return {
        "current": is_current(session, settings),
        "pending_marks": repo.has_dirty(session),
        **state,
    }
