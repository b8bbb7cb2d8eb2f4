"""SMARTINBOX_AI_PROVIDER=openai through the whole pipeline: API ingest, job, stored rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from smartinbox import config
from smartinbox.ai.providers.openai_prompts import PROMPT_VERSION
from smartinbox.app import create_app
from tests.conftest import Actor, Env, drain
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAIServer, closed_port_url

MESSAGE = {
    "channel": "email",
    "external_id": "oa-1",
    "subject": "Refund",
    "body": "I returned the blender two weeks ago, where is my refund? Write to ann@example.com",
    "customer": {"email": "ann@example.com", "name": "Ann"},
}


@pytest.fixture
def server(env: Env) -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer().start()
    yield server
    server.stop()


def _client_for(monkeypatch: pytest.MonkeyPatch, base_url: str, **extra: str) -> TestClient:
    values = {
        "AI_PROVIDER": "openai",
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": "sk-e2e-secret",
        "OPENAI_CHAT_MODEL": "fake-model",
        **extra,
    }
    for name, value in values.items():
        monkeypatch.setenv(f"SMARTINBOX_{name}", value)
    config.get_settings.cache_clear()
    return TestClient(create_app(config.get_settings()))


def test_ingest_is_analysed_by_the_openai_provider(
    env: Env, server: FakeOpenAIServer, agent: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client_for(monkeypatch, server.base_url) as client:
        mid = client.post("/api/messages", json=MESSAGE, headers=agent.headers).json()["id"]
        assert drain() == 1
        detail = client.get(f"/api/messages/{mid}", headers=agent.headers).json()
    analysis, suggestion = detail["analysis"], detail["suggestion"]
    assert analysis["model_version"] == "openai:fake-model"
    assert (analysis["kind"], analysis["topic"], analysis["urgency"]) == (
        "question",
        "refund",
        0.42,
    )
    assert suggestion["provider"] == "openai" and suggestion["model"] == "fake-model"
    assert suggestion["prompt_version"] == PROMPT_VERSION
    assert suggestion["text"] == DEFAULT_REPLY
    assert len(suggestion["evidence"]) == 3 and suggestion["confidence"] > 0
    assert len(server.requests) == 2  # one triage, one reply
    assert "ann@example.com" not in server.sent_text()
    assert all(h["authorization"] == "Bearer sk-e2e-secret" for h in server.headers)


def test_endpoint_down_fails_the_job_without_hanging(
    env: Env, agent: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client_for(monkeypatch, closed_port_url(), OPENAI_MAX_RETRIES="0") as client:
        mid = client.post("/api/messages", json=MESSAGE, headers=agent.headers).json()["id"]
        drain()  # the job fails with ProviderUnavailable; the queue retries it later
        detail = client.get(f"/api/messages/{mid}", headers=agent.headers).json()
    assert detail["analysis"] is None and detail["suggestion"] is None
