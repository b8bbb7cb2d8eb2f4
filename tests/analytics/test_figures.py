"""Every figure of both dashboards against values worked out by hand (tests/analytics/fixture.py).

Team time is America/New_York: M1 at 23:30 UTC is 18:30 on Tuesday, M2 at 03:30 UTC on
Wednesday is 22:30 on Tuesday, M6 at 05:00 UTC is midnight starting Friday.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.analytics.fixture import World


def by_key(rows: list[dict[str, Any]], key: str = "key") -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in rows}


def test_messages_and_complaints_against_the_previous_week(env: Any, get: Any) -> None:
    out = get("/api/insights")
    assert out["source"] == "rollup"
    assert out["period"]["timezone"] == "America/New_York"
    assert out["previousPeriod"]["start"] == "2024-12-30"
    assert out["messages"] == 7
    assert out["complaints"] == 3
    top = [
        (t["topic"], t["count"], t["previous"], t["change"], t["changePct"])
        for t in out["topComplaints"]
    ]
    assert top == [("billing", 2, 1, 1, 100.0), ("delivery", 1, 0, 1, None)]


def test_urgency_by_local_hour_and_weekday(env: Any, get: Any) -> None:
    out = get("/api/insights")
    hours = {
        b["key"]: (b["messages"], b["avgUrgency"]) for b in out["urgencyByHour"] if b["messages"]
    }
    assert hours == {
        18: (1, 0.8),
        22: (1, 0.6),
        10: (1, 0.4),
        7: (1, 0.2),
        13: (1, 1.0),
        0: (1, 0.3),
    }
    assert len(out["urgencyByHour"]) == 24
    assert out["urgencyByHour"][23]["avgUrgency"] is None  # no data, not zero
    days = {b["label"]: (b["messages"], b["avgUrgency"]) for b in out["urgencyByWeekday"]}
    assert days["Tuesday"] == (2, 0.7)  # M2 is Wednesday in UTC
    assert days["Wednesday"] == (1, 0.4)
    assert days["Thursday"] == (2, 0.6)
    assert days["Friday"] == (1, 0.3)
    assert days["Monday"] == (0, None)


def test_reply_usage_and_rates(env: Any, get: Any) -> None:
    usage = get("/api/insights")["replyUsage"]
    assert usage["totals"] == {
        "unchanged": 2, "edited": 1, "replaced": 1, "none": 1, "total": 5,
        "aiUsageRate": 0.6, "overrideRate": 0.25,
    }  # fmt: skip
    series = {
        p["start"]: (p["unchanged"], p["edited"], p["replaced"], p["none"]) for p in usage["series"]
    }
    assert usage["bucket"] == "day" and len(series) == 7
    assert series["2025-01-07"] == (1, 0, 1, 0)
    assert series["2025-01-08"] == (0, 1, 0, 0)
    assert series["2025-01-09"] == (0, 0, 0, 1)
    assert series["2025-01-10"] == (1, 0, 0, 0)


def test_escalations_after_an_ai_reply(env: Any, get: Any, world: World) -> None:
    esc = get("/api/insights")["escalations"]
    assert (esc["count"], esc["aiBased"], esc["rate"]) == (2, 3, 0.6667)
    reasons = {e["messageId"]: e["reason"] for e in esc["items"]}
    assert reasons == {
        world.messages["m3"]: "customer wrote again",
        world.messages["m6"]: "escalated or reassigned",
    }


def test_escalation_window_is_a_setting(
    env: Any, client: Any, agent: Any, monkeypatch: Any, world: World
) -> None:
    from datetime import date

    from smartinbox import config
    from smartinbox.analytics import service
    from smartinbox.analytics.periods import Period
    from smartinbox.analytics.schemas import Filters

    monkeypatch.setenv("SMARTINBOX_ANALYTICS_ESCALATION_WINDOW_H", "12")
    config.get_settings.cache_clear()
    settings = config.get_settings()
    with env.session() as session:  # built for 48 h: read from the messages until rebuilt
        out = service.insights(
            session, settings, Period("custom", date(2025, 1, 6), date(2025, 1, 12)), Filters()
        )
    assert out.source == "scan"
    assert out.escalations.count == 1  # M4 came 19 h after M3's reply: outside 12 h


def test_feedback_analytics_figures(env: Any, get: Any, world: World) -> None:
    out = get("/api/feedback/analytics")
    assert (out["total"], out["usefulCount"], out["notUsefulCount"]) == (4, 2, 2)
    assert out["usefulRate"] == 0.5
    days = {d["date"]: (d["useful"], d["total"]) for d in out["dailyBreakdown"]}
    assert len(days) == 7
    assert days == {
        "2025-01-06": (0, 0), "2025-01-07": (1, 2), "2025-01-08": (0, 1), "2025-01-09": (0, 0),
        "2025-01-10": (1, 1), "2025-01-11": (0, 0), "2025-01-12": (0, 0),
    }  # fmt: skip
    negative = out["topNegativeMessages"]
    assert [n["messageId"] for n in negative] == [world.messages["m2"], world.messages["m3"]]
    assert negative[0]["message"] == "Body of m2"
    assert negative[0]["aiReply"] == "AI reply to m2"
    assert negative[0]["agentReply"] == "Agent reply to m2 (replaced)"
    assert [(t["topic"], t["notUseful"], t["total"]) for t in out["failedTopics"]] == [
        ("billing", 1, 2), ("delivery", 1, 1),
    ]  # fmt: skip
    assert [(c["kind"], c["topic"], c["replaced"], c["edited"]) for c in out["overrideCases"]] == [
        ("complaint", "billing", 1, 0), ("complaint", "delivery", 0, 1),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"channel": "chat"}, (2, 1)),  # M2 (not useful), M6 (useful)
        ({"topic": "billing"}, (2, 1)),
        ({"agent": "ann"}, (2, 1)),  # M1, M2 are assigned to Ann
        ({"version": "v2"}, (1, 0)),  # only M3's suggestion came from v2
    ],
)
def test_feedback_filters(
    env: Any, get: Any, world: World, params: dict[str, str], expected: tuple[int, int]
) -> None:
    query = dict(params)
    if "agent" in query:
        query = {"agent_id": str(world.users[query.pop("agent")])}
    if "version" in query:
        query = {"version_id": str(world.versions[query.pop("version")])}
    out = get("/api/feedback/analytics", **query)
    assert (out["total"], out["usefulCount"]) == expected
    assert out["filters"] == query


def test_rollups_and_full_scan_agree(env: Any, world: World) -> None:
    from datetime import date

    from smartinbox.analytics import feedback, service
    from smartinbox.analytics.periods import Period
    from smartinbox.analytics.schemas import Filters

    period = Period("custom", date(2024, 12, 30), date(2025, 1, 12))
    for filters in (Filters(), Filters(channel="email"), Filters(agent_id=world.users["bob"])):
        with env.session() as session:
            pairs = [
                (
                    fn(session, env.settings, period, filters),
                    fn(session, env.settings, period, filters, scan=True),
                )
                for fn in (service.insights, feedback.feedback_analytics)
            ]
        for rolled, scanned in pairs:
            assert rolled.source == "rollup" and scanned.source == "scan"
            assert rolled.model_dump(exclude={"source"}) == scanned.model_dump(exclude={"source"})
