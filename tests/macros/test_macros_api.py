"""Macros through the real API: CRUD (admins write, agents read), placeholders filled from the
conversation or worded around, actions applied on send, and the reply remembered as a macro."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartinbox.config import get_settings
from smartinbox.feedback.service import capture_message
from smartinbox.models import AgentReply, ReplyMacro
from tests.conftest import Actor, Env, drain

BODY = (
    "Hi {customer_name},\n\nYour order {order_number} left our warehouse today; "
    "you will get a tracking e-mail shortly."
)


def _macro(client: TestClient, admin: Actor, **extra: Any) -> dict[str, Any]:
    r = client.post(
        "/api/macros",
        json={"title": "Shipped", "body": BODY, **extra},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _message(client: TestClient, agent: Actor, key: str, body: str, name: str | None) -> dict:
    payload: dict[str, Any] = {
        "channel": "chat",
        "external_id": key,
        "body": body,
        "conversation_key": key,
    }
    if name:
        payload["customer"] = {"name": name, "email": f"{key}@example.com"}
    r = client.post("/api/messages", json=payload, headers=agent.headers)
    assert r.status_code == 201, r.text
    drain()
    return r.json()  # type: ignore[no-any-return]


def test_admins_write_macros_agents_read_them(
    env: Env, client: TestClient, admin: Actor, agent: Actor
) -> None:
    denied = client.post("/api/macros", json={"title": "x", "body": "y"}, headers=agent.headers)
    assert denied.status_code == 403
    macro = _macro(client, admin, set_status="pending", add_tags=["Shipping", "shipping"])
    assert macro["add_tags"] == ["shipping"] and macro["set_status"] == "pending"
    listed = client.get("/api/macros", headers=agent.headers).json()
    assert [m["id"] for m in listed] == [macro["id"]]

    patched = client.patch(
        f"/api/macros/{macro['id']}",
        json={"title": "Shipped today", "active": False},
        headers=admin.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["title"] == "Shipped today" and patched.json()["active"] is False
    assert client.get("/api/macros?active=true", headers=agent.headers).json() == []

    bad = client.post(
        "/api/macros",
        json={"title": "  ", "body": "b", "set_status": "banana"},
        headers=admin.headers,
    )
    assert bad.status_code == 422
    assert "title" in bad.text and "set_status" in bad.text
    bad_tag = client.post(
        "/api/macros", json={"title": "t", "body": "b", "add_tags": ["!!"]}, headers=admin.headers
    )
    assert bad_tag.status_code == 422 and "add_tags" in bad_tag.text

    assert client.delete(f"/api/macros/{macro['id']}", headers=admin.headers).status_code == 204
    missing = client.get(f"/api/macros/{macro['id']}", headers=agent.headers)
    assert missing.status_code == 404
    with env.session() as s:
        assert s.scalars(select(ReplyMacro)).all() == []


def test_placeholders_are_filled_from_the_conversation_or_left_out(
    env: Env, client: TestClient, admin: Actor, agent: Actor
) -> None:
    macro = _macro(client, admin)
    known = _message(client, agent, "mac1", "Hello, where is order #A-20931? Thanks", "Maria Lopez")
    filled = client.get(
        f"/api/conversations/{known['conversation_id']}/macros/{macro['id']}",
        headers=agent.headers,
    )
    assert filled.status_code == 200, filled.text
    text = filled.json()["text"]
    assert text.startswith("Hi Maria,\n\nYour order A-20931 left our warehouse today")
    assert filled.json()["left_out"] == []

    unknown = _message(client, agent, "mac2", "Has my parcel shipped yet?", None)
    worded = client.get(
        f"/api/conversations/{unknown['conversation_id']}/macros/{macro['id']}",
        headers=agent.headers,
    ).json()
    assert "{" not in worded["text"] and "}" not in worded["text"]
    assert worded["text"].startswith("Hi,\n\nYour order left our warehouse today")
    assert sorted(worded["left_out"]) == ["customer name", "order number"]

    gone = client.get(
        f"/api/conversations/{known['conversation_id']}/macros/999999", headers=agent.headers
    )
    assert gone.status_code == 404 and "macro_id" in gone.text


def test_sending_a_macro_applies_its_actions_and_is_remembered_as_a_macro(
    env: Env, client: TestClient, admin: Actor, agent: Actor
) -> None:
    macro = _macro(client, admin, set_status="solved", add_tags=["shipping"])
    m = _message(client, agent, "mac3", "Where is order #B-77120? It is late.", "Ken Ito")
    cid = m["conversation_id"]
    text = client.get(f"/api/conversations/{cid}/macros/{macro['id']}", headers=agent.headers)
    sent = client.post(
        f"/api/conversations/{cid}/reply",
        json={"text": text.json()["text"], "macro_id": macro["id"], "idempotency_key": "mac-0003"},
        headers=agent.headers,
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["macro_id"] == macro["id"]
    # Solving invites the customer to rate the conversation.
    assert "Rate this conversation: http://localhost:8000/csat/" in sent.json()["text"]
    again = client.post(
        f"/api/conversations/{cid}/reply",
        json={"text": text.json()["text"], "macro_id": macro["id"], "idempotency_key": "mac-0003"},
        headers=agent.headers,
    )
    assert again.json()["id"] == sent.json()["id"]
    drain()
    detail = client.get(f"/api/conversations/{cid}", headers=agent.headers).json()
    assert detail["status"] == "solved" and detail["tags"] == ["shipping"]
    assert [e["event"] for e in detail["events"]].count("replied") == 1
    assert {e["event"] for e in detail["events"]} >= {"status", "tags", "replied"}

    with env.session() as s:
        reply = s.scalars(select(AgentReply)).one()
        assert reply.macro_id == macro["id"]
        capture = capture_message(s, get_settings(), m["id"])
        assert [item.source for item in capture.memory] == ["macro"]
        assert capture.memory[0].reply.startswith("Hi Ken,")
        # The signed rating link is the customer's own: never learned or repeated.
        assert "/csat/" not in capture.memory[0].reply

    # Without a macro the same flow remembers an agent reply.
    other = _message(client, agent, "mac4", "Where is order #C-55821? It is late.", "Ana Ruiz")
    plain = client.post(
        f"/api/conversations/{other['conversation_id']}/reply",
        json={"text": "Hi Ana, it ships tomorrow morning from our warehouse."},
        headers=agent.headers,
    )
    assert plain.status_code == 201 and plain.json()["macro_id"] is None
    with env.session() as s:
        capture = capture_message(s, get_settings(), other["id"])
        assert [item.source for item in capture.memory] in ([], ["agent_reply"])

    unknown = client.post(
        f"/api/conversations/{cid}/reply",
        json={"text": "Hello", "macro_id": 424242},
        headers=agent.headers,
    )
    assert unknown.status_code == 404 and "macro_id" in unknown.text
