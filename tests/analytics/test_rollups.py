"""Roll-ups stay equal to the source tables when feedback comes late or a rating changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from smartinbox.analytics import rollups
from smartinbox.analytics.tasks import run_refresh
from smartinbox.models import AnalyticsDirty, Feedback, Message, MessageEvent
from tests.analytics.fixture import World, rate, utc


def _dirty(env: Any) -> int:
    with env.session() as session:
        return int(session.scalar(select(func.count()).select_from(AnalyticsDirty)) or 0)


def test_a_late_rating_lands_on_the_day_of_its_message(env: Any, get: Any, world: World) -> None:
    assert _dirty(env) == 0
    with env.session() as session:  # rated weeks later: counts on Thursday the 9th
        rate(session, world, "m5", "ann", True, 4, at=utc(3, 9, month=2))
    assert _dirty(env) > 0
    out = get("/api/feedback/analytics")  # the read recomputes the marked day first
    assert out["source"] == "rollup"
    assert (out["total"], out["usefulCount"]) == (5, 3)
    assert {d["date"]: (d["useful"], d["total"]) for d in out["dailyBreakdown"]}["2025-01-09"] == (
        1,
        1,
    )
    assert _dirty(env) == 0


def test_a_changed_rating_replaces_the_old_one(env: Any, get: Any, world: World) -> None:
    with env.session() as session:  # Ann changes her mind about M2: the old rating retires
        session.execute(
            update(Feedback)
            .where(Feedback.message_id == world.messages["m2"], Feedback.is_current.is_(True))
            .values(is_current=False)
        )
        rate(session, world, "m2", "ann", True, 4)
    out = get("/api/feedback/analytics")
    assert (out["total"], out["usefulCount"], out["notUsefulCount"]) == (4, 3, 1)
    assert [n["messageId"] for n in out["topNegativeMessages"]] == [world.messages["m3"]]
    assert [(t["topic"], t["notUseful"]) for t in out["failedTopics"]] == [("delivery", 1)]


def test_the_periodic_job_recomputes_marked_days(env: Any, world: World) -> None:
    with env.session() as session:  # a reassignment after M1's AI-based reply
        session.add(
            MessageEvent(message_id=world.messages["m1"], event="reassigned", created_at=utc(8, 2))
        )
        session.execute(
            update(Message).where(Message.id == world.messages["m8"]).values(channel="email")
        )
    assert run_refresh(env.settings) >= 1
    assert _dirty(env) == 0
    from datetime import date

    from smartinbox.analytics import service
    from smartinbox.analytics.periods import Period
    from smartinbox.analytics.schemas import Filters

    with env.session() as session:
        out = service.insights(
            session,
            env.settings,
            Period("custom", date(2025, 1, 6), date(2025, 1, 12)),
            Filters(channel="email"),
        )
    assert out.source == "rollup"
    assert out.messages == 4  # M1, M3, M4 and now M8
    assert out.escalations.count == 2  # M1 (reassigned) and M3; M6 came by chat


def test_a_new_message_can_turn_an_earlier_one_into_an_escalation(
    env: Any, get: Any, world: World
) -> None:
    with env.session() as session:  # M1's customer writes again 20 h after the AI-based reply
        customer = session.get(Message, world.messages["m1"]).customer_id  # type: ignore[union-attr]
        session.add(Message(channel="email", external_id="m9", body="Again?", customer_id=customer,
                            received_at=utc(8, 20, 30)))  # fmt: skip
    esc = get("/api/insights")["escalations"]
    assert esc["count"] == 3
    assert {e["messageId"] for e in esc["items"]} >= {world.messages["m1"]}


def test_changing_the_timezone_reads_from_messages_until_rebuilt(
    env: Any, monkeypatch: Any, world: World
) -> None:
    from tests.analytics.conftest import use_timezone

    use_timezone(env, monkeypatch, "Europe/Berlin")
    with env.session() as session:
        assert not rollups.is_current(session, env.settings)
    assert run_refresh(env.settings) == -1  # rebuilt for Berlin
    with env.session() as session:
        assert rollups.is_current(session, env.settings)
