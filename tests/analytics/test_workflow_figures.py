"""SLA and CSAT figures on the insights dashboard, from conversations whose times are known."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from smartinbox.kit.timeutil import utcnow
from smartinbox.models import Conversation
from tests.conftest import Actor, Env


def _conversation(client: TestClient, agent: Actor, key: str) -> int:
    r = client.post(
        "/api/messages",
        json={
            "channel": "chat",
            "external_id": key,
            "body": "Help please",
            "conversation_key": key,
        },
        headers=agent.headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["conversation_id"])


def test_sla_attainment_medians_and_csat(env: Env, client: TestClient, agent: Actor) -> None:
    ids = [_conversation(client, agent, k) for k in ("f1", "f2", "f3")]
    now = utcnow()
    t = now - timedelta(hours=5)
    later = now + timedelta(days=1)
    minutes = lambda n: t + timedelta(minutes=n)  # noqa: E731
    rows = {
        # answered in 10 min (due 60), solved after 120 min (due 240): both met
        ids[0]: {"first_response_at": minutes(10), "first_response_due": minutes(60),
                 "status": "solved", "solved_at": minutes(120), "resolution_due": minutes(240)},
        # answered in 90 min (due 60): breached; resolution still running, not yet due
        ids[1]: {"first_response_at": minutes(90), "first_response_due": minutes(60),
                 "status": "pending", "solved_at": None, "resolution_due": later},
        # never answered and past due: breached
        ids[2]: {"first_response_at": None, "first_response_due": minutes(60),
                 "status": "open", "solved_at": None, "resolution_due": later},
    }  # fmt: skip
    with env.session() as s:
        for cid, values in rows.items():
            s.execute(
                update(Conversation)
                .where(Conversation.id == cid)
                .values(first_message_at=t, opened_at=t, **values)
            )
    days = f"start={(now - timedelta(days=2)).date()}&end={now.date()}"
    r = client.get(f"/api/insights/workflow?{days}", headers=agent.headers)
    assert r.status_code == 200, r.text
    sla = r.json()["sla"]
    assert sla["conversations"] == 3
    assert (sla["first_response_met"], sla["first_response_decided"]) == (1, 3)
    assert (sla["resolution_met"], sla["resolution_decided"]) == (1, 1)
    assert sla["attainment"] == 0.5
    assert sla["first_response_attainment"] == 0.3333 and sla["resolution_attainment"] == 1.0
    assert sla["median_first_response_minutes"] == 50.0
    assert sla["median_resolution_minutes"] == 120.0
    assert r.json()["csat"] == {"ratings": 0, "csat": None, "average": None}

    # A customer rates a solved conversation: the CSAT figure follows.
    sent = client.post(
        f"/api/conversations/{ids[1]}/reply",
        json={"text": "All sorted now.", "status": "solved"},
        headers=agent.headers,
    )
    path = re.search(r"http://localhost:8000(/csat/\S+)$", sent.json()["text"])
    assert path
    assert client.post(path.group(1), data={"rating": "5"}).status_code == 200
    figures = client.get(f"/api/insights/workflow?{days}", headers=agent.headers).json()
    assert figures["csat"] == {"ratings": 1, "csat": 1.0, "average": 5.0}
    assert figures["sla"]["resolution_decided"] == 2

    # The insights page shows them beside the AI-usage figures.
    page = client.get(f"/insights?{days}", headers=agent.headers)
    assert page.status_code == 200
    csat_kpi = re.search(r'id="kpi-csat"><span class="value">([^<]+)<', page.text)
    sla_kpi = re.search(r'id="kpi-sla"><span class="value">([^<]+)<', page.text)
    assert csat_kpi and csat_kpi.group(1) == "100%"
    assert sla_kpi and sla_kpi.group(1) == "60%"  # 3 met of 5 decided
    assert "3 of 5" in page.text

    empty = client.get("/api/insights/workflow?start=2020-01-01&end=2020-01-07",
                       headers=agent.headers).json()  # fmt: skip
    assert empty["sla"]["conversations"] == 0 and empty["sla"]["attainment"] is None
