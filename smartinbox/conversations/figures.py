"""SLA figures for the dashboard: attainment, median first-response and resolution times of
the conversations that started in a period. A target counts once it is decided: met, breached,
or still running past its due time (breached); one still running before its due time is left
out until it is decided."""

from __future__ import annotations

import statistics
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from smartinbox.conversations import repository as repo
from smartinbox.kit.timeutil import as_utc, utcnow


class SlaFigures(BaseModel):
    conversations: int = Field(description="Conversations that started in the period.")
    first_response_met: int
    first_response_decided: int
    resolution_met: int
    resolution_decided: int
    attainment: float | None = Field(description="Targets met / targets decided (both kinds).")
    first_response_attainment: float | None
    resolution_attainment: float | None
    median_first_response_minutes: float | None
    median_resolution_minutes: float | None


def _verdict(done: datetime | None, due: datetime | None, now: datetime) -> bool | None:
    """True met, False breached, None not decided (or no target)."""
    if due is None:
        return None
    due = as_utc(due)
    if done is not None:
        return as_utc(done) <= due
    return False if now > due else None


def _ratio(met: int, decided: int) -> float | None:
    return round(met / decided, 4) if decided else None


def _median_minutes(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def sla_figures(session: Session, start: datetime, end: datetime) -> SlaFigures:
    now = utcnow()
    first_met = first_decided = res_met = res_decided = 0
    first_times: list[float] = []
    resolution_times: list[float] = []
    rows = repo.sla_rows(session, start, end)
    for first_at, opened_at, responded, first_due, solved, res_due, status in rows:
        verdict = _verdict(responded, first_due, now)
        if verdict is not None:
            first_decided += 1
            first_met += verdict
        finished = solved if status in ("solved", "closed") else None
        verdict = _verdict(finished, res_due, now)
        if verdict is not None:
            res_decided += 1
            res_met += verdict
        if responded is not None:
            first_times.append((as_utc(responded) - as_utc(first_at)).total_seconds() / 60)
        if finished is not None:
            resolution_times.append((as_utc(finished) - as_utc(opened_at)).total_seconds() / 60)
    return SlaFigures(
        conversations=len(rows),
        first_response_met=first_met,
        first_response_decided=first_decided,
        resolution_met=res_met,
        resolution_decided=res_decided,
        attainment=_ratio(first_met + res_met, first_decided + res_decided),
        first_response_attainment=_ratio(first_met, first_decided),
        resolution_attainment=_ratio(res_met, res_decided),
        median_first_response_minutes=_median_minutes(first_times),
        median_resolution_minutes=_median_minutes(resolution_times),
    )
