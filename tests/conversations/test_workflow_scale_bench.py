"""The workflow-at-scale benchmark's loader and measurement, at 2,000 messages: what it loads
is consistent and every request it times is answered 200 by a real server (behaviour only;
timings are the benchmark's business: `python -m benchmarks.workflow_scale`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from benchmarks.common import Deployment
from benchmarks.workflow_scale import load, measure
from tests.conftest import require

KINDS = {"api_priority_view", "html_priority_view", "api_conversation", "html_conversation"}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_loader_and_measurement(backend: str, tmp_path: Path) -> None:
    if backend == "postgres":
        require("postgres")
    dep = Deployment(
        backend, tmp_path, tmp_path / "models", extra_env={"SMARTINBOX_TRAIN_ON_START": "false"}
    )
    try:
        dep.cli("db", "upgrade")
        engine = create_engine(dep.env["SMARTINBOX_DATABASE_URL"])
        loaded = load(engine, 2000, agents=5)
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM messages),"
                    " (SELECT count(*) FROM analyses),"
                    " (SELECT count(*) FROM conversations),"
                    " (SELECT sum(message_count) FROM conversations),"
                    " (SELECT count(*) FROM messages m JOIN conversations c"
                    "   ON c.id = m.conversation_id AND c.customer_id = m.customer_id),"
                    " (SELECT count(*) FROM conversations WHERE first_response_due IS NULL),"
                    " (SELECT count(DISTINCT assignee_id) FROM conversations),"
                    " (SELECT count(*) FROM users WHERE role = 'agent')"
                )
            ).one()
        engine.dispose()
        assert loaded["messages"] == 2000
        assert tuple(row) == (2000, 2000, loaded["conversations"], 2000, 2000, 0, 5, 5)
        assert 2000 / 4 <= loaded["conversations"] < 2000
        assert len(loaded["agents"]) == 5

        dep.start(worker=False)
        result = measure(dep.url, loaded["agents"], loaded["conversations"], rounds=2)
        assert result["errors"] == {}
        assert set(result["latency"]) == KINDS
        assert all(v["n"] == 5 * 2 for v in result["latency"].values())
        assert result["requests"] == 5 * 2 * 4
    finally:
        dep.stop()


def test_agents_see_their_own_sessions(tmp_path: Path) -> None:
    """Each agent is signed in as itself: "mine" lists only that agent's conversations."""
    import httpx

    dep = Deployment(
        "sqlite", tmp_path, tmp_path / "models", extra_env={"SMARTINBOX_TRAIN_ON_START": "false"}
    )
    try:
        dep.cli("db", "upgrade")
        engine = create_engine(dep.env["SMARTINBOX_DATABASE_URL"])
        loaded = load(engine, 500, agents=3)
        engine.dispose()
        dep.start(worker=False)
        for email, token in loaded["agents"]:
            r = httpx.get(
                dep.url + "/api/conversations",
                params={"assignee": "mine", "status": "all", "page_size": 500},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 200
            items = r.json()["items"]
            assert items
            assignees = {i["assignee_email"] for i in items}
            assert assignees == {email}
    finally:
        dep.stop()
