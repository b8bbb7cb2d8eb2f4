"""Hostile bodies get a clear 4xx: binary, invalid UTF-8, over-long batches, NUL in text."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from tests.conftest import Actor, Env


def _post(client: TestClient, actor: Actor, path: str, content: bytes) -> int:
    r = client.post(
        path, content=content, headers={**actor.headers, "content-type": "application/json"}
    )
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.json()["detail"]["message"]  # says what is wrong
    return r.status_code


def test_binary_and_invalid_utf8_bodies_are_client_errors(
    sqlite_env: Env, client: TestClient, agent: Actor
) -> None:
    assert 400 <= _post(client, agent, "/api/messages", os.urandom(4096)) < 500
    bad_utf8 = b'{"channel": "api", "external_id": "u1", "body": "caf\xc3\x28 \xff\xfe"}'
    assert 400 <= _post(client, agent, "/api/messages", bad_utf8) < 500
    assert 400 <= _post(client, agent, "/api/messages/batch", b"\x00" * 1000) < 500


def test_a_10000_message_batch_is_refused_with_the_limit(
    env: Env, client: TestClient, agent: Actor
) -> None:
    messages = [{"channel": "api", "external_id": f"b{i}", "body": "hi"} for i in range(10_000)]
    r = client.post("/api/messages/batch", json={"messages": messages}, headers=agent.headers)
    assert r.status_code in (413, 422), r.text
    assert str(env.settings.max_batch) in r.json()["detail"]["message"]


def test_nul_characters_in_text_are_a_client_error_on_every_backend(
    env: Env, client: TestClient, agent: Actor
) -> None:
    body = {"channel": "api", "external_id": "nul\u0000id", "body": "he\u0000llo"}
    r = client.post("/api/messages", json=body, headers=agent.headers)
    assert r.status_code in (201, 422), r.text  # SQLite may store it; PostgreSQL refuses: 422
    r = client.get("/api/messages", params={"q": "a\u0000b"}, headers=agent.headers)
    assert r.status_code in (200, 422), r.text
