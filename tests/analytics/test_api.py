"""The API contract: the seed's shape, authentication, drill-down lists, CSV, bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.analytics.conftest import PERIOD, use_timezone
from tests.analytics.fixture import World

SEED_FIELDS = {"total", "usefulCount", "notUsefulCount", "dailyBreakdown", "topNegativeMessages"}


def test_feedback_analytics_has_the_seed_shape(env: Any, get: Any) -> None:
    out = get("/api/feedback/analytics")
    assert set(out) >= SEED_FIELDS
    for name in ("total", "usefulCount", "notUsefulCount"):
        assert type(out[name]) is int
    for day in out["dailyBreakdown"]:
        assert set(day) == {"date", "useful", "total"}
        assert isinstance(day["date"], str) and len(day["date"]) == 10
        assert type(day["useful"]) is int and type(day["total"]) is int
    assert out["topNegativeMessages"]
    for item in out["topNegativeMessages"]:
        for name in ("message", "aiReply", "agentReply"):
            assert isinstance(item[name], str)


@pytest.mark.parametrize(
    "path",
    [
        "/api/insights",
        "/api/feedback/analytics",
        "/api/insights/messages?metric=messages",
        "/api/insights/complaints.csv",
        "/api/feedback/analytics/daily.csv",
    ],
)
def test_authentication_is_required(sqlite_env: Any, client: Any, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_pages_send_visitors_to_the_login(sqlite_env: Any, client: Any) -> None:
    for path in ("/insights", "/feedback/analytics", "/insights/messages?metric=messages"):
        response = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


def test_every_number_opens_the_messages_behind_it(env: Any, get: Any, world: World) -> None:
    insights = get("/api/insights")
    feedback = get("/api/feedback/analytics")

    def listed(link: str) -> tuple[int, set[int]]:
        path, _, query = link.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&"))
        page = get(path.replace("/insights/messages", "/api/insights/messages"), **params)
        return page["total"], {m["id"] for m in page["items"]}

    m = world.messages
    assert listed(insights["messagesLink"])[0] == insights["messages"] == 7
    billing = insights["topComplaints"][0]
    assert listed(billing["link"]) == (2, {m["m1"], m["m2"]})
    assert listed(billing["previousLink"]) == (1, {m["m7"]})
    assert listed(insights["urgencyByHour"][22]["link"]) == (1, {m["m2"]})
    assert listed(insights["urgencyByWeekday"][1]["link"]) == (2, {m["m1"], m["m2"]})
    assert listed(insights["replyUsage"]["links"]["replaced"]) == (1, {m["m2"]})
    assert listed(insights["escalations"]["link"]) == (2, {m["m3"], m["m6"]})
    assert listed(feedback["links"]["notUseful"]) == (2, {m["m2"], m["m3"]})
    assert listed(feedback["links"]["useful"]) == (2, {m["m1"], m["m6"]})
    assert listed(feedback["failedTopics"][1]["link"]) == (1, {m["m3"]})
    assert listed(feedback["overrideCases"][0]["link"]) == (1, {m["m2"]})


def test_csv_of_a_chart_is_its_numbers(env: Any, world: World, client: Any, agent: Any) -> None:
    response = client.get(
        "/api/insights/urgency_by_weekday.csv", params=PERIOD, headers=agent.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["label", "Average urgency"]
    assert rows[2] == ["Tuesday", "0.7"]
    assert rows[1] == ["Monday", ""]  # no data: empty, not zero
    rejected = client.get(
        "/api/feedback/analytics/rejected.csv", params=PERIOD, headers=agent.headers
    )
    lines = list(csv.reader(io.StringIO(rejected.text)))
    assert lines[0][:4] == ["messageId", "message", "aiReply", "agentReply"]
    assert lines[1][1:4] == ["Body of m2", "AI reply to m2", "Agent reply to m2 (replaced)"]
    unknown = client.get("/api/insights/nope.csv", params=PERIOD, headers=agent.headers)
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2025-02-01", "end": "2025-01-01"}, "end"),
        ({"start": "not-a-date"}, "start"),
        ({"period": "fortnight"}, "period"),
        ({"agent_id": "x"}, "agent_id"),
    ],
)
def test_bad_input_names_the_field(
    sqlite_env: Any, client: Any, agent: Any, params: dict[str, str], field: str
) -> None:
    response = client.get("/api/insights", params=params, headers=agent.headers)
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == field


def test_default_period_is_this_week(sqlite_env: Any, client: Any, agent: Any) -> None:
    out = client.get("/api/insights", headers=agent.headers).json()
    assert out["period"]["name"] == "this_week"
    assert out["period"]["start"] <= out["period"]["end"]
    fb = client.get("/api/feedback/analytics", headers=agent.headers).json()
    assert len(fb["dailyBreakdown"]) == 30
    assert (fb["total"], fb["topNegativeMessages"]) == (0, [])


def test_berlin_counts_2330_utc_in_the_next_local_hour_and_day(
    env: Any, monkeypatch: Any, client: Any, agent: Any, world: World
) -> None:
    """M1 arrives Tuesday 23:30 UTC: 00:30 on Wednesday in Berlin (CET, UTC+1)."""
    from smartinbox.analytics.tasks import run_rebuild

    use_timezone(env, monkeypatch, "Europe/Berlin")
    run_rebuild(env.settings)
    from fastapi.testclient import TestClient

    from smartinbox.app import create_app

    with TestClient(create_app(env.settings)) as berlin:
        out = berlin.get("/api/insights", params=PERIOD, headers=agent.headers).json()
        fb = berlin.get("/api/feedback/analytics", params=PERIOD, headers=agent.headers).json()
    assert out["source"] == "rollup" and out["period"]["timezone"] == "Europe/Berlin"
    hours = {b["key"]: b["messages"] for b in out["urgencyByHour"] if b["messages"]}
    assert hours[0] == 1  # M1 at 00:30 (no message at 23:00 Berlin)
    assert 23 not in hours
    assert hours[4] == 1  # M2 at 03:30 UTC
    days = {b["label"]: b["messages"] for b in out["urgencyByWeekday"]}
    assert days["Tuesday"] == 0 and days["Wednesday"] == 3  # M1, M2, M3
    breakdown = {d["date"]: d["total"] for d in fb["dailyBreakdown"]}
    assert breakdown["2025-01-07"] == 0 and breakdown["2025-01-08"] == 3
