"""Oversized and streamed bodies, login throttling, and a busy database answering 503."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Actor, Env


def test_declared_oversized_request_is_refused_before_reading(
    sqlite_env: Env, client: TestClient, agent: Actor
) -> None:
    limit = sqlite_env.settings.max_request_bytes
    r = client.post(
        "/api/messages/batch",
        content=b"x" * (limit + 1),
        headers={**agent.headers, "content-type": "application/json"},
    )
    assert r.status_code == 413


def test_streamed_oversized_request_is_refused(
    sqlite_env: Env, client: TestClient, agent: Actor
) -> None:
    limit = sqlite_env.settings.max_request_bytes

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    r = client.post(
        "/api/messages/batch",
        content=chunks(),
        headers={**agent.headers, "content-type": "application/json"},
    )
    assert r.status_code == 413, r.text


def test_deeply_nested_json_is_a_client_error(
    sqlite_env: Env, client: TestClient, agent: Actor
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    r = client.post(
        "/api/messages", content=body, headers={**agent.headers, "content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500


def _csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert match
    return match.group(1)


def test_failed_logins_are_throttled(sqlite_env: Env, client: TestClient, agent: Actor) -> None:
    csrf = _csrf(client)
    attempts = sqlite_env.settings.login_max_attempts
    for _ in range(attempts):
        r = client.post(
            "/login", data={"email": agent.email, "password": "wrong", "csrf_token": csrf}
        )
        assert r.status_code == 401
    r = client.post(
        "/login", data={"email": agent.email, "password": agent.password, "csrf_token": csrf}
    )
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # other accounts are not locked out by someone guessing this one
    other = client.post(
        "/login", data={"email": "x@example.com", "password": "wrong", "csrf_token": csrf}
    )
    assert other.status_code == 401


def test_locked_database_answers_503_with_retry_hint_and_writes_nothing(
    sqlite_env: Env, client: TestClient, agent: Actor
) -> None:
    path = sqlite_env.settings.sqlite_path()
    assert path is not None
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        r = client.post(
            "/api/messages",
            json={"channel": "api", "external_id": "busy-1", "body": "hello"},
            headers=agent.headers,
        )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert r.status_code == 503 and r.headers["retry-after"]
    assert r.json()["detail"]["code"] == "unavailable"
    retry = client.post(
        "/api/messages",
        json={"channel": "api", "external_id": "busy-1", "body": "hello"},
        headers=agent.headers,
    )
    assert retry.status_code == 201
    again = client.post(
        "/api/messages",
        json={"channel": "api", "external_id": "busy-1", "body": "hello"},
        headers=agent.headers,
    )
    assert again.status_code == 200 and again.json()["id"] == retry.json()["id"]


def test_sqlite_write_requests_take_turns_and_reads_are_not_held_back(
    sqlite_env: Env, agent: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One write slot: while a write request holds it, a read is answered and a second write
    waits its turn (here past its wait limit: 503 with Retry-After, nothing written)."""
    from smartinbox.app import create_app
    from smartinbox.inbox import service

    settings = sqlite_env.settings.model_copy(
        update={"sqlite_write_requests": 1, "sqlite_write_wait_s": 0.5}
    )
    original = service.ingest
    inside, release = threading.Event(), threading.Event()

    def held_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not inside.is_set():
            inside.set()
            release.wait(timeout=30)
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "ingest", held_first)
    results: dict[str, int] = {}

    def post(ext: str) -> int:
        body = {"channel": "api", "external_id": ext, "body": "hello"}
        return client.post("/api/messages", json=body, headers=agent.headers).status_code

    with TestClient(create_app(settings)) as client:
        # The token's last use is recorded at most once a minute: done now, so that the read
        # below stays a read.
        assert client.get("/api/messages", headers=agent.headers).status_code == 200
        first = threading.Thread(target=lambda: results.update(first=post("turn-1")))
        first.start()
        assert inside.wait(timeout=30)
        read = client.get("/api/messages", headers=agent.headers)
        second = client.post(
            "/api/messages",
            json={"channel": "api", "external_id": "turn-2", "body": "hello"},
            headers=agent.headers,
        )
        release.set()
        first.join(timeout=30)
        listed = client.get("/api/messages", headers=agent.headers).json()
    assert read.status_code == 200
    assert second.status_code == 503 and int(second.headers["retry-after"]) > 0
    assert second.json()["detail"]["code"] == "unavailable"
    assert results == {"first": 201}
    assert [m["external_id"] for m in listed["items"]] == ["turn-1"]
