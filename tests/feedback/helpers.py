"""Shared steps of the feedback tests: a message through the real inbox flow."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Actor, drain


def ingest(client: TestClient, actor: Actor, external_id: str, body: str) -> dict[str, Any]:
    r = client.post(
        "/api/messages",
        json={"channel": "web", "external_id": external_id, "body": body},
        headers=actor.headers,
    )
    assert r.status_code == 201, r.text
    drain()
    detail = client.get(f"/api/messages/{r.json()['id']}", headers=actor.headers).json()
    assert detail["suggestion"], detail
    return detail  # type: ignore[no-any-return]


def rate(client: TestClient, actor: Actor, message_id: int, **body: Any) -> dict[str, Any]:
    r = client.post(f"/api/messages/{message_id}/feedback", json=body, headers=actor.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def reply(client: TestClient, actor: Actor, message_id: int, text: str) -> dict[str, Any]:
    r = client.post(f"/api/messages/{message_id}/reply", json={"text": text}, headers=actor.headers)
    assert r.status_code == 201, r.text
    drain()
    return r.json()  # type: ignore[no-any-return]
