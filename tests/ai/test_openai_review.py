"""Explain, explain failure, improve and judge through the configured provider, end to end.

With SMARTINBOX_AI_PROVIDER=openai the API and the pages call the chat model (the fake server
below) and store who answered; with the local provider the rules answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartinbox import config
from smartinbox.ai.providers import openai_prompts as prompts
from smartinbox.app import create_app
from smartinbox.feedback.analysis import MODEL_NAME
from smartinbox.feedback.reviewers import judge_for
from smartinbox.models import AIReplyImprovement, FeedbackReplayLog
from tests.conftest import Actor, Env, drain
from tests.fakes.openai_server import FakeOpenAIServer, Reply, default_responder

MESSAGE = {
    "channel": "email",
    "external_id": "rv-1",
    "subject": "Refund",
    "body": "I returned the blender two weeks ago, where is my refund? Call me on +1 415 555 0100.",
    "customer": {"email": "ann@example.com", "name": "Ann"},
}
AGENT_REPLY = (
    "Hi Ann, your return arrived on Monday; the refund was issued today and shows within "
    "five working days."
)
WHY = "The reply follows the closest approved refund answer (similarity 0.71) in a calm tone."
FAILED = "The AI reply did not say when the refund would arrive; the agent gave the date."
IMPROVED = "Hi Ann, your return has arrived and the refund was issued; expect it within five days."


def _system(request: dict[str, Any]) -> str:
    return str(request["messages"][0]["content"])


def responder(request: dict[str, Any]) -> Reply:
    system = _system(request)
    if system == prompts.EXPLAIN_SYSTEM:
        return Reply(WHY)
    if system == prompts.EXPLAIN_FAILURE_SYSTEM:
        return Reply(FAILED)
    if system == prompts.IMPROVE_SYSTEM:
        return Reply(IMPROVED)
    return default_responder(request)


@pytest.fixture
def server(env: Env) -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(responder).start()
    yield server
    server.stop()


def _openai(monkeypatch: pytest.MonkeyPatch, base_url: str) -> TestClient:
    values = {
        "AI_PROVIDER": "openai",
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": "sk-review-secret",
        "OPENAI_CHAT_MODEL": "fake-model",
    }
    for name, value in values.items():
        monkeypatch.setenv(f"SMARTINBOX_{name}", value)
    config.get_settings.cache_clear()
    return TestClient(create_app(config.get_settings()))


def _rated_not_useful(client: TestClient, agent: Actor) -> tuple[int, int]:
    mid = client.post("/api/messages", json=MESSAGE, headers=agent.headers).json()["id"]
    drain()
    r = client.post(f"/api/messages/{mid}/feedback", json={"useful": False}, headers=agent.headers)
    assert r.status_code == 201, r.text
    r = client.post(f"/api/messages/{mid}/reply", json={"text": AGENT_REPLY}, headers=agent.headers)
    assert r.status_code == 201, r.text
    drain()
    replays = client.get("/api/feedback-replay", headers=agent.headers).json()["items"]
    return mid, replays[0]["id"]


def _sent(server: FakeOpenAIServer, system: str) -> list[dict[str, Any]]:
    return [r for r in server.requests if _system(r) == system]


def test_openai_explains_improves_and_records_provenance(
    env: Env, server: FakeOpenAIServer, agent: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _openai(monkeypatch, server.base_url) as client:
        mid, replay_id = _rated_not_useful(client, agent)

        why = client.post(f"/api/messages/{mid}/suggestion/explain", headers=agent.headers)
        assert why.status_code == 200, why.text
        body = why.json()
        assert body["text"] == WHY
        assert (body["provider"], body["model"], body["prompt_version"]) == (
            "openai",
            "fake-model",
            prompts.PROMPT_VERSION,
        )
        # Stored: asking again reads the answer, it does not call the model again.
        again = client.post(f"/api/messages/{mid}/suggestion/explain", headers=agent.headers)
        assert again.json()["text"] == WHY and len(_sent(server, prompts.EXPLAIN_SYSTEM)) == 1
        (request,) = _sent(server, prompts.EXPLAIN_SYSTEM)
        user = request["messages"][1]["content"]
        assert "<customer_message>" in user and "<ai_reply>" in user and '<example n="1"' in user

        page = client.post(f"/messages/{mid}/why", headers=agent.headers)
        assert page.status_code == 200 and "calm tone" in page.text and "fake-model" in page.text

        failed = client.post(f"/api/feedback-replay/{replay_id}/explain", headers=agent.headers)
        assert failed.status_code == 200, failed.text
        assert failed.json()["explanation"] == FAILED
        assert failed.json()["provider"] == "openai"
        assert failed.json()["prompt_version"] == prompts.PROMPT_VERSION
        (sent,) = _sent(server, prompts.EXPLAIN_FAILURE_SYSTEM)
        assert "five working days" in sent["messages"][1]["content"]  # the agent's reply

        improved = client.post(f"/api/feedback-replay/{replay_id}/improve", headers=agent.headers)
        assert improved.status_code == 201, improved.text
        assert improved.json()["improved_reply"] == IMPROVED
        assert improved.json()["provider"] == "openai"
        assert improved.json()["model"] == "fake-model"
        page = client.post(f"/replay/{replay_id}/improve", headers=agent.headers)
        assert page.status_code == 200 and "expect it within five days" in page.text

    assert "+1 415 555 0100" not in server.sent_text()  # redacted before it left
    with env.session() as s:
        row = s.scalars(select(FeedbackReplayLog)).one()
        assert row.failure_explanation == FAILED
        assert row.failure_explanation_provenance == {
            "provider": "openai",
            "model": "fake-model",
            "prompt_version": prompts.PROMPT_VERSION,
        }
        stored = s.scalars(select(AIReplyImprovement)).all()
        assert {(i.provider, i.model, i.prompt_version) for i in stored} == {
            ("openai", "fake-model", prompts.PROMPT_VERSION)
        }


def test_an_improvement_failing_the_checks_keeps_the_agents_reply(
    env: Env, server: FakeOpenAIServer, agent: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _openai(monkeypatch, server.base_url) as client:
        _mid, replay_id = _rated_not_useful(client, agent)
        server.script(Reply("We will refund you twice and add a $50 credit: https://evil.example"))
        improved = client.post(f"/api/feedback-replay/{replay_id}/improve", headers=agent.headers)
    assert improved.status_code == 201, improved.text
    assert improved.json()["improved_reply"] == AGENT_REPLY
    assert improved.json()["provider"] == "openai"


def test_openai_judge_scores_by_the_rubric_and_falls_back_when_malformed(
    env: Env, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _openai(monkeypatch, server.base_url):
        judge = judge_for(config.get_settings())
        verdict = judge.evaluate(MESSAGE["body"], AGENT_REPLY, None)
        assert (judge.provider, judge.model) == ("openai", "fake-model")
        # relevance 0.9, accuracy 0.8, completeness 0.7, tone 1.0, weighted 0.3/0.3/0.2/0.2
        assert verdict.score == pytest.approx(0.85)
        server.script(Reply("not json"), Reply("{still not json"))
        fallback = judge.evaluate(MESSAGE["body"], AGENT_REPLY, None)
    assert any("local judge" in c for c in fallback.comments)


def test_local_provider_answers_with_the_rules(env: Env, client: TestClient, agent: Actor) -> None:
    mid, replay_id = _rated_not_useful(client, agent)
    why = client.post(f"/api/messages/{mid}/suggestion/explain", headers=agent.headers).json()
    assert (why["provider"], why["model"], why["prompt_version"]) == ("local", MODEL_NAME, None)
    assert why["text"].startswith("- Built on") and "similarity" in why["text"]
    page = client.get(f"/messages/{mid}", headers=agent.headers)
    assert "Why this reply?" in page.text
    failed = client.post(f"/api/feedback-replay/{replay_id}/explain", headers=agent.headers)
    assert failed.json()["provider"] == "local"
    improved = client.post(f"/api/feedback-replay/{replay_id}/improve", headers=agent.headers)
    assert improved.json()["improved_reply"] == AGENT_REPLY
    assert improved.json()["provider"] == "local"
