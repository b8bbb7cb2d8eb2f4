"""The messages behind a number: every figure links here with its metric, period and filters.

The list is read from the source tables (`repository.facts`), never from a roll-up, so its
count is an independent check of the figure it came from.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from smartinbox.analytics import repository as repo
from smartinbox.analytics import rollups
from smartinbox.analytics.periods import Period, zone
from smartinbox.analytics.schemas import Filters
from smartinbox.config import Settings
from smartinbox.inbox import repository as inbox_repo
from smartinbox.inbox import service as inbox_service
from smartinbox.inbox.schemas import MessageOut
from smartinbox.kit.errors import ValidationFailed
from smartinbox.kit.pagination import Page, clamp_page

METRICS: dict[str, str] = {
    "messages": "Messages received",
    "complaints": "Complaints",
    "hour": "Analysed messages received in this hour",
    "weekday": "Analysed messages received on this weekday",
    "unchanged": "Answered with the suggestion unchanged",
    "edited": "Answered with an edited suggestion",
    "replaced": "Answered with the agent's own reply instead of the suggestion",
    "none": "Answered without a suggestion",
    "overridden": "Suggestion edited or replaced",
    "ai_based": "Answered with an AI-based reply",
    "escalated": "Needed escalation after an AI-based reply",
    "rated": "Suggestion rated",
    "useful": "Suggestion rated useful",
    "not_useful": "Suggestion rated not useful",
}


def _predicate(f: Any, metric: str, value: int | None, kind: str | None) -> list[Any]:
    c = f.c
    conditions: dict[str, list[Any]] = {
        "messages": [],
        "complaints": [c.kind == "complaint"],
        "hour": [c.analysed == 1, c.hour == value],
        "weekday": [c.analysed == 1, c.weekday == value],
        "unchanged": [c.replies_unchanged > 0],
        "edited": [c.replies_edited > 0],
        "replaced": [c.replies_replaced > 0],
        "none": [c.replies_manual > 0],
        "overridden": [(c.replies_edited + c.replies_replaced) > 0],
        "ai_based": [c.ai_based == 1],
        "escalated": [c.escalation.is_not(None)],
        "rated": [c.ratings > 0],
        "useful": [c.useful > 0],
        "not_useful": [c.ratings > c.useful],
    }
    if metric not in conditions:
        raise ValidationFailed(f"metric must be one of {', '.join(METRICS)}", field="metric")
    if metric in ("hour", "weekday") and value is None:
        raise ValidationFailed(f"metric {metric} needs a value", field="value")
    found = conditions[metric]
    if kind is not None:
        found = [*found, c.kind == kind]
    return found


def messages_behind(
    session: Session,
    settings: Settings,
    metric: str,
    period: Period,
    filters: Filters,
    *,
    value: int | None = None,
    kind: str | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> Page[MessageOut]:
    page, size = clamp_page(page, page_size or settings.default_page_size, settings.max_page_size)
    lo, hi = period.utc_bounds(zone(settings.team_timezone))
    f = repo.facts(session, settings.team_timezone, rollups.window_s(settings), lo, hi)
    ids, total = repo.drill_ids(
        session, f, filters, _predicate(f, metric, value, kind), (page - 1) * size, size
    )
    by_id = {m.id: m for m in inbox_repo.messages_for_analysis(session, ids)}
    replies = inbox_repo.current_replies(session, ids)
    items = [inbox_service.message_out(by_id[i], replies.get(i)) for i in ids if i in by_id]
    return Page[MessageOut](items=items, total=total, page=page, page_size=size)
