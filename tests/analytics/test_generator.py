"""`smartinbox analytics generate`: the bulk year loads the promised mix and builds roll-ups."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from smartinbox.analytics import feedback, rollups, service
from smartinbox.analytics.periods import Period
from smartinbox.analytics.schemas import Filters
from smartinbox.cli import app as cli
from smartinbox.models import AgentReply, AIReply, Analysis, Feedback, Message

runner = CliRunner()


def test_generate_loads_a_year_and_builds_rollups(env: Any) -> None:
    result = runner.invoke(
        cli, ["analytics", "generate", "--messages", "1200", "--with-feedback", "--days", "60"]
    )
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output.strip().splitlines()[-1])
    assert counts["messages"] == 1200
    with env.session() as session:
        n = {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in
             (Message, Analysis, AIReply, AgentReply, Feedback)}  # fmt: skip
        assert rollups.is_current(session, env.settings)
        hours = session.execute(
            select(Message.received_at).order_by(Message.id).limit(600)
        ).scalars()
        by_hour = [0] * 24
        for moment in hours:
            by_hour[moment.hour] += 1
    assert n["messages"] == n["analyses"] == 1200
    assert 600 < n["ai_replies"] < 840  # about 60 %
    assert 280 < n["agent_replies"] < 440  # about 30 %
    assert 280 < n["feedback"] < 440
    assert sum(by_hour[9:12]) > sum(by_hour[0:3])  # mornings busier than nights

    today = date.today()
    period = Period("custom", today - timedelta(days=70), today + timedelta(days=1))
    with env.session() as session:
        for fn in (service.insights, feedback.feedback_analytics):
            rolled = fn(session, env.settings, period, Filters())
            scanned = fn(session, env.settings, period, Filters(), scan=True)
            assert rolled.source == "rollup"
            # Sums of float urgencies may differ in the last digit with the order of summing.
            skip = {"source", "urgency_by_hour", "urgency_by_weekday"}
            assert rolled.model_dump(exclude=skip) == scanned.model_dump(exclude=skip)
            for name in ("urgency_by_hour", "urgency_by_weekday"):
                for a, b in zip(getattr(rolled, name, []), getattr(scanned, name, []), strict=True):
                    assert a.messages == b.messages
                    assert a.avg_urgency == pytest.approx(b.avg_urgency, abs=1e-3)
    with env.session() as session:  # ids continue after the loaded ones (PostgreSQL sequences)
        session.add(Message(channel="api", external_id="after-generate", body="hello"))
