"""Links from a figure to the list of messages behind it."""

from __future__ import annotations

from urllib.parse import urlencode

from smartinbox.analytics.periods import Period
from smartinbox.analytics.schemas import Filters

DRILL_PATH = "/insights/messages"


def drill_link(
    metric: str,
    period: Period,
    filters: Filters,
    *,
    value: int | None = None,
    kind: str | None = None,
) -> str:
    params: dict[str, str] = {"metric": metric, "start": str(period.start), "end": str(period.end)}
    params.update(filters.query())
    if value is not None:
        params["value"] = str(value)
    if kind is not None:
        params["kind"] = kind
    return f"{DRILL_PATH}?{urlencode(params)}"
