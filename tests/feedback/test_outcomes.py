"""Agents' decisions on suggestions as accept/reject outcomes (for calibrating confidence)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartinbox.feedback.outcomes import acceptance_outcomes
from smartinbox.models import AIReply, Feedback
from tests.conftest import Actor, Env, drain


def test_usage_and_ratings_become_outcomes(env: Env, client: TestClient, agent: Actor) -> None:
    ids = []
    for n, body in enumerate(["Where is my refund?", "How do I change my address?", "Hi"]):
        r = client.post(
            "/api/messages",
            json={"channel": "email", "external_id": f"o-{n}", "body": body},
            headers=agent.headers,
        )
        ids.append(r.json()["id"])
    drain()
    suggestion = client.get(f"/api/messages/{ids[0]}", headers=agent.headers).json()["suggestion"]
    client.post(f"/api/messages/{ids[0]}/reply", json={"text": suggestion["text"]},
                headers=agent.headers)  # fmt: skip
    client.post(f"/api/messages/{ids[1]}/reply", json={"text": "Completely different words."},
                headers=agent.headers)  # fmt: skip
    with env.session() as s:
        # The third suggestion got no reply, only a "useful" rating.
        third = s.scalars(select(AIReply).where(AIReply.message_id == ids[2])).one()
        s.add(Feedback(message_id=ids[2], ai_reply_id=third.id, useful=True))
        s.commit()
        confidence, accepted = acceptance_outcomes(s)
        shown = [
            s.scalars(select(AIReply.confidence).where(AIReply.message_id == i)).one() for i in ids
        ]
    assert accepted == [1, 0, 1]
    assert confidence == shown
