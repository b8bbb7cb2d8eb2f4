"""Jinja filters shared by the templates."""

from __future__ import annotations

from urllib.parse import urlencode

from jinja2 import Environment
from starlette.datastructures import QueryParams


def replace_page(params: QueryParams, page: int) -> str:
    items = [(k, v) for k, v in params.multi_items() if k != "page"]
    items.append(("page", str(page)))
    return urlencode(items)


def install(env: Environment) -> None:
    env.filters["replace_page"] = replace_page
