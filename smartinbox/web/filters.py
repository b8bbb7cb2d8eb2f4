"""Jinja filters shared by the templates."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment
from starlette.datastructures import QueryParams


def replace_page(params: QueryParams, page: int) -> str:
    items = [(k, v) for k, v in params.multi_items() if k != "page"]
    items.append(("page", str(page)))
    return urlencode(items)


def local_time(moment: datetime, timezone: str) -> str:
    """A stored (UTC) time on the team's wall clock."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def install(env: Environment) -> None:
    env.filters["replace_page"] = replace_page
    env.filters["local_time"] = local_time
