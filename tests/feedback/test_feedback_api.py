"""Ratings, replay rows and training data from the inbox flow, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartinbox.models import Feedback, FeedbackReplayLog, TrainingExample, TrainingPrompt
from tests.conftest import Actor, Env, create_actor
from tests.feedback.helpers import ingest, rate, reply

CORRECTION = "Your refund for order 5521 was sent on Monday; it shows in 3-5 business days."


def test_thumbs_down_with_reply_becomes_replay_prompt_and_example(
    env: Env, client: TestClient, agent: Actor
) -> None:
    m = ingest(client, agent, "r1", "Hi, where is my refund for order 5521? It has been weeks.")
    out = rate(client, agent, m["id"], useful=False, score=2, notes="wrong topic")
    assert out["useful"] is False and out["score"] == 2 and out["replaced"] == 0
    sent = reply(client, agent, m["id"], CORRECTION)
    assert sent["usage"] == "replaced"

    rows = client.get("/api/feedback-replay?feedback=no", headers=agent.headers).json()
    assert rows["total"] == 1
    row = rows["items"][0]
    assert row["message_id"] == m["id"]
    assert row["ai_reply"] == m["suggestion"]["text"]
    assert row["agent_reply"] == CORRECTION
    assert row["version_tag"] == "v1.0"
    assert (
        client.get("/api/feedback-replay?feedback=yes", headers=agent.headers).json()["total"] == 0
    )
    assert client.get("/api/feedback-replay?version=v9", headers=agent.headers).json()["total"] == 0

    with env.session() as s:
        prompt = s.scalars(select(TrainingPrompt)).one()
        assert prompt.rating == 0 and prompt.version == "v1.0"
        assert "Customer Message:\nHi, where is my refund" in prompt.prompt
        assert "Was this useful? → ❌ No" in prompt.prompt
        assert f"Agent replied with:\n{CORRECTION}" in prompt.prompt
        example = s.scalars(select(TrainingExample)).one()
        assert example.completion == CORRECTION
        assert example.source == "correction" and example.weight == 2.0
        assert example.not_useful_count == 1


def test_rerating_replaces_and_keeps_history(env: Env, client: TestClient, agent: Actor) -> None:
    m = ingest(client, agent, "r2", "Can I connect my bank account instead of a card?")
    rate(client, agent, m["id"], useful=False)
    second = rate(client, agent, m["id"], useful=True, score=5)
    assert second["replaced"] == 1
    other = create_actor(env, "other@example.com")
    rate(client, other, m["id"], useful=False)
    with env.session() as s:
        rows = s.scalars(select(Feedback).order_by(Feedback.id)).all()
        assert [(r.useful, r.is_current) for r in rows] == [
            (False, False),
            (True, True),
            (False, True),
        ]
    # The replay row follows the latest rating and is not duplicated by re-ratings.
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(FeedbackReplayLog)) == 1


def test_usage_drives_examples_without_a_rating(env: Env, client: TestClient, agent: Actor) -> None:
    m = ingest(client, agent, "r3", "How do I reset my password?")
    sent = reply(client, agent, m["id"], m["suggestion"]["text"])
    assert sent["usage"] == "unchanged"
    with env.session() as s:
        example = s.scalars(select(TrainingExample)).one()
        assert example.source == "accepted"
        replay = s.scalars(select(FeedbackReplayLog)).one()
        assert replay.feedback is None and replay.agent_reply == m["suggestion"]["text"]
        assert s.scalar(select(func.count()).select_from(TrainingPrompt)) == 0


def test_rating_errors(env: Env, client: TestClient, agent: Actor) -> None:
    r = client.post("/api/messages/999/feedback", json={"useful": True}, headers=agent.headers)
    assert r.status_code == 404
    m = ingest(client, agent, "r4", "Hello there")
    r = client.post(
        f"/api/messages/{m['id']}/feedback",
        json={"useful": True, "score": 9},
        headers=agent.headers,
    )
    assert r.status_code == 422 and "score" in r.text
    r = client.post(f"/api/messages/{m['id']}/feedback", json={"useful": True})
    assert r.status_code == 401


def test_replay_api_improve_and_explain(env: Env, client: TestClient, agent: Actor) -> None:
    body = {
        "message": "My card was charged twice for order 7781, please fix it!",
        "aiReply": "Thanks for reaching out! Have a great day.",
        "agentReply": "I'm sorry about the double charge on order 7781; I refunded the extra payment of 19.99.",
        "feedback": "no",
    }
    r = client.post("/api/feedback-replay", json=body, headers=agent.headers)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["message_id"] is None and r.json()["feedback"] == "no"
    bad = client.post(
        "/api/feedback-replay", json={**body, "feedback": "maybe"}, headers=agent.headers
    )
    assert bad.status_code == 422

    improved = client.post(f"/api/feedback-replay/{rid}/improve", headers=agent.headers).json()
    assert improved["improved_reply"] == body["agentReply"]
    why = client.post(f"/api/feedback-replay/{rid}/explain", headers=agent.headers).json()
    assert "7781" in why["explanation"] and "19.99" in why["explanation"]
    # Stored, not recomputed: the same text comes back and is on the row.
    again = client.post(f"/api/feedback-replay/{rid}/explain", headers=agent.headers).json()
    assert again == why
    row = client.get(f"/api/feedback-replay/{rid}", headers=agent.headers).json()
    assert row["failure_explanation"] == why["explanation"]
    assert row["improvement"]["improved_reply"] == body["agentReply"]
    with env.session() as s:
        example = s.scalars(select(TrainingExample)).one()
        assert example.completion == body["agentReply"] and example.not_useful_count == 1

    good = client.post(
        "/api/feedback-replay", json={**body, "feedback": "yes"}, headers=agent.headers
    )
    r = client.post(f"/api/feedback-replay/{good.json()['id']}/explain", headers=agent.headers)
    assert r.status_code == 409
