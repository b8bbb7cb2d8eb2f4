"""POST /api/messages and /batch: idempotent, validated, size-limited; GET with filters."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartinbox.models import Customer, Message
from tests.conftest import Actor, Env


def _msg(ext: str = "e-1", **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "channel": "email",
        "external_id": ext,
        "body": "Where is my refund for order 1234?",
    }
    body.update(extra)
    return body


def _count(env: Env) -> int:
    with env.session() as s:
        return int(s.scalar(select(func.count()).select_from(Message)) or 0)


def test_ingest_creates_then_repeat_returns_the_first(
    env: Env, client: TestClient, agent: Actor
) -> None:
    first = client.post(
        "/api/messages",
        json=_msg(customer={"email": "Ann@Example.com", "name": "Ann"}),
        headers=agent.headers,
    )
    assert first.status_code == 201, first.text
    data = first.json()
    assert data["id"] > 0 and data["status"] == "new"
    assert data["customer"]["email"] == "ann@example.com"
    assert data["analysis"] is None and data["suggestion"] is None

    again = client.post("/api/messages", json=_msg(body="different text"), headers=agent.headers)
    assert again.status_code == 200
    assert again.json()["id"] == data["id"]
    assert again.json()["body"] == "Where is my refund for order 1234?"
    assert _count(env) == 1


def test_same_external_id_on_another_channel_is_another_message(
    env: Env, client: TestClient, agent: Actor
) -> None:
    assert client.post("/api/messages", json=_msg(), headers=agent.headers).status_code == 201
    assert (
        client.post("/api/messages", json=_msg(channel="chat"), headers=agent.headers).status_code
        == 201
    )
    assert _count(env) == 2


def test_batch_is_idempotent_and_reports_each_item(
    env: Env, client: TestClient, agent: Actor
) -> None:
    batch = {
        "messages": [_msg(f"b-{i}", customer={"email": "same@example.com"}) for i in range(5)]
        + [_msg("b-0")]
    }
    first = client.post("/api/messages/batch", json=batch, headers=agent.headers)
    assert first.status_code == 201, first.text
    out = first.json()
    assert out["created"] == 5 and out["existing"] == 1
    assert out["items"][5]["id"] == out["items"][0]["id"] and out["items"][5]["created"] is False
    second = client.post("/api/messages/batch", json=batch, headers=agent.headers)
    assert second.status_code == 200
    assert second.json()["created"] == 0 and second.json()["existing"] == 6
    assert _count(env) == 5
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1


def test_validation_errors_name_the_field(env: Env, client: TestClient, agent: Actor) -> None:
    r = client.post(
        "/api/messages", json={"channel": "email", "external_id": "x"}, headers=agent.headers
    )
    assert r.status_code == 422
    assert r.json()["detail"]["errors"][0]["field"] == "body"

    r = client.post("/api/messages", json=_msg(body="   "), headers=agent.headers)
    assert r.status_code == 422 and "body" in r.json()["detail"]["message"]

    r = client.post("/api/messages", json=_msg(channel="bad channel!"), headers=agent.headers)
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["field"] == "channel"

    r = client.post(
        "/api/messages", json=_msg(customer={"email": "not-an-email"}), headers=agent.headers
    )
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["field"] == "customer.email"

    r = client.post("/api/messages", json=_msg(received_at="yesterday"), headers=agent.headers)
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["field"] == "received_at"

    batch = {"messages": [_msg("ok-1"), _msg("ok-2", body="")]}
    r = client.post("/api/messages/batch", json=batch, headers=agent.headers)
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["field"] == "messages.1.body"
    assert _count(env) == 0  # nothing of a rejected batch is stored


def test_oversized_body_gets_413_and_nothing_is_stored(
    env: Env, client: TestClient, agent: Actor
) -> None:
    big = "x" * (env.settings.max_body_bytes + 1)
    r = client.post("/api/messages", json=_msg(body=big), headers=agent.headers)
    assert r.status_code == 413
    assert r.json()["detail"]["field"] == "body"
    batch = {"messages": [_msg("fine"), _msg("huge", body=big)]}
    r = client.post("/api/messages/batch", json=batch, headers=agent.headers)
    assert r.status_code == 413 and r.json()["detail"]["field"] == "messages.1.body"
    assert _count(env) == 0


def test_batch_over_the_limit_is_refused(env: Env, client: TestClient, agent: Actor) -> None:
    batch = {"messages": [_msg(f"n-{i}") for i in range(env.settings.max_batch + 1)]}
    r = client.post("/api/messages/batch", json=batch, headers=agent.headers)
    assert r.status_code == 413
    assert "limit" in r.json()["detail"]["message"]
    assert _count(env) == 0


def test_invalid_utf8_and_lone_surrogates_are_rejected_clearly(
    env: Env, client: TestClient, agent: Actor
) -> None:
    raw = b'{"channel":"email","external_id":"u1","body":"caf\xe9 \xff"}'
    r = client.post(
        "/api/messages", content=raw, headers={**agent.headers, "content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500
    r = client.post(
        "/api/messages",
        content=b'{"channel":"email","external_id":"u2","body":"half \\ud800 pair"}',
        headers={**agent.headers, "content-type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["detail"]["field"] == "body"
    assert _count(env) == 0


def test_html_body_is_kept_as_sent(env: Env, client: TestClient, agent: Actor) -> None:
    html = "<html><body><p>Hello <b>team</b>,</p><script>alert(1)</script></body></html>"
    r = client.post("/api/messages", json=_msg(body=html), headers=agent.headers)
    assert r.status_code == 201
    detail = client.get(f"/api/messages/{r.json()['id']}", headers=agent.headers).json()
    assert detail["body"] == html and detail["body_format"] == "html"


def test_unicode_text_round_trips(env: Env, client: TestClient, agent: Actor) -> None:
    text = "Grüße aus Köln 👋 — ¿dónde está mi pedido? 注文はどこですか"
    r = client.post(
        "/api/messages", json=_msg(body=text, subject="Bestellung"), headers=agent.headers
    )
    assert (
        client.get(f"/api/messages/{r.json()['id']}", headers=agent.headers).json()["body"] == text
    )


def test_list_filters_and_paginates_newest_first(
    env: Env, client: TestClient, agent: Actor
) -> None:
    for i in range(7):
        client.post(
            "/api/messages",
            json=_msg(f"p-{i}", received_at=f"2026-01-0{i + 1}T10:00:00Z"),
            headers=agent.headers,
        )
    page1 = client.get("/api/messages?page_size=3", headers=agent.headers).json()
    assert page1["total"] == 7 and len(page1["items"]) == 3
    assert [m["external_id"] for m in page1["items"]] == ["p-6", "p-5", "p-4"]
    page3 = client.get("/api/messages?page_size=3&page=3", headers=agent.headers).json()
    assert [m["external_id"] for m in page3["items"]] == ["p-0"]
    assert client.get("/api/messages?status=replied", headers=agent.headers).json()["total"] == 0
    assert client.get("/api/messages?status=new", headers=agent.headers).json()["total"] == 7
    assert client.get("/api/messages?status=bogus", headers=agent.headers).status_code == 422
    assert client.get("/api/messages?min_urgency=2", headers=agent.headers).status_code == 422


def test_unknown_message_is_404(env: Env, client: TestClient, agent: Actor) -> None:
    r = client.get("/api/messages/999999", headers=agent.headers)
    assert r.status_code == 404 and r.json()["detail"]["code"] == "not_found"


def test_agent_reply_marks_message_replied(env: Env, client: TestClient, agent: Actor) -> None:
    mid = client.post("/api/messages", json=_msg(), headers=agent.headers).json()["id"]
    r = client.post(
        f"/api/messages/{mid}/reply",
        json={"text": "Your refund was sent today."},
        headers=agent.headers,
    )
    assert r.status_code == 201 and r.json()["usage"] == "none"
    detail = client.get(f"/api/messages/{mid}", headers=agent.headers).json()
    assert detail["status"] == "replied"
    assert detail["replies"][0]["text"] == "Your refund was sent today."
    assert (
        client.post(
            f"/api/messages/{mid}/reply", json={"text": " "}, headers=agent.headers
        ).status_code
        == 422
    )
