"""The dashboards in real Chromium: charts drawn, tabs, clicks that open the messages behind.

Screenshots land in test-artifacts/analytics-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from smartinbox.analytics.tasks import run_rebuild
from tests.analytics.conftest import use_timezone
from tests.analytics.fixture import World, build
from tests.web.conftest import LiveServer, login, screenshot

pytestmark = pytest.mark.browser
WEEK = "start=2025-01-06&end=2025-01-12"


@pytest.fixture
def world(sqlite_env: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    """The hand-computed week of tests/analytics (New York team time), roll-ups built."""
    use_timezone(sqlite_env, monkeypatch, "America/New_York")
    with sqlite_env.session() as session:
        w = build(session)
    run_rebuild(sqlite_env.settings)
    return w


def _drawn(page: Any, count: int) -> None:
    expect(page.locator("canvas[data-drawn=true]")).to_have_count(count)
    assert page.errors == []


def test_insights_page_draws_every_chart_and_a_bar_opens_its_messages(
    sqlite_env: Any, world: World, live_server: LiveServer, page: Any, agent: Any
) -> None:
    login(page, agent)
    page.goto(f"/insights?{WEEK}")
    expect(page.locator("h1")).to_have_text("Inbox Intelligence")
    _drawn(page, 5)
    expect(page.locator(".kpi").first).to_contain_text("7")
    screenshot(page, "analytics-insights")
    spec = page.evaluate("JSON.parse(document.getElementById('urgency-hour-spec').textContent)")
    assert spec["xTitle"] == "Hour of day (America/New_York)"
    assert spec["datasets"][0]["data"][22] == 0.6
    point = page.evaluate(
        """() => {
        const chart = document.querySelector('#complaints canvas').chart;
        const bar = chart.getDatasetMeta(0).data[0];
        const box = chart.canvas.getBoundingClientRect();
        return {x: box.left + bar.x - 5, y: box.top + bar.y};
    }"""
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/insights/messages?metric=complaints*")
    expect(page.locator("h1")).to_contain_text("Complaints")
    expect(page.locator("table.messages tbody tr")).to_have_count(2)
    screenshot(page, "analytics-drilldown")


def test_feedback_page_tabs(
    sqlite_env: Any, world: World, live_server: LiveServer, page: Any, agent: Any
) -> None:
    login(page, agent)
    page.goto(f"/feedback/analytics?{WEEK}")
    expect(page.locator(".tabs a[aria-current]")).to_have_text("Overview")
    _drawn(page, 2)
    expect(page.locator(".kpis")).to_contain_text("50%")
    screenshot(page, "analytics-feedback-overview")
    page.click("text=Trends")
    _drawn(page, 2)
    screenshot(page, "analytics-feedback-trends")
    page.click(".tabs >> text=Replay")  # the tab, not the Replay page in the nav bar
    expect(page.locator("article.replay")).to_have_count(2)
    expect(page.locator("article.replay").first).to_contain_text("Agent reply to m3 (edited)")
    screenshot(page, "analytics-feedback-replay")
    page.click("text=Most rejected replies")
    rows = page.locator("table.rejected tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("AI reply to m2")
    screenshot(page, "analytics-feedback-rejected")
    with page.expect_download() as download:
        page.click("text=Download CSV")
    assert download.value.suggested_filename.startswith("feedback-rejected-")
    assert page.errors == []


def test_a_period_without_data_says_so(
    sqlite_env: Any, world: World, live_server: LiveServer, page: Any, agent: Any
) -> None:
    login(page, agent)
    page.goto("/insights?start=2024-06-03&end=2024-06-09")
    expect(page.locator("canvas")).to_have_count(0)
    expect(page.locator(".no-data").first).to_contain_text("No data yet")
    page.goto("/feedback/analytics?start=2024-06-03&end=2024-06-09")
    expect(page.locator(".no-data")).to_have_count(2)
    screenshot(page, "analytics-empty")
    assert page.errors == []
