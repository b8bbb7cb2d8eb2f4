"""Messages form conversations (thread key, or customer + subject within the window), and the
assistant reads the earlier turns when it suggests a reply to a follow-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartinbox.kit.subjects import normalise_subject
from smartinbox.models import Conversation, ConversationEvent
from tests.conftest import Actor, Env, drain

ANN = {"email": "ann@example.com", "name": "Ann"}


def _post(client: TestClient, agent: Actor, ext: str, body: str, **extra: object) -> dict:
    payload: dict[str, object] = {"channel": "chat", "external_id": ext, "body": body}
    payload.update(extra)
    r = client.post("/api/messages", json=payload, headers=agent.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_subject_prefixes_are_removed() -> None:
    assert normalise_subject("Re: AW: Fwd:  Order  LATE") == "order late"
    assert normalise_subject("TR: RE[2]: Facture") == "facture"
    assert normalise_subject("Remote access") == "remote access"
    assert normalise_subject(None) == ""


def test_same_conversation_key_is_one_conversation_and_the_followup_reads_the_first_turn(
    env: Env, client: TestClient, agent: Actor, embedded_texts: list[str]
) -> None:
    first = _post(
        client,
        agent,
        "k1",
        "My parcel for order 88812345 never arrived, the tracking has not moved in a week.",
        conversation_key="chat-77",
    )
    assert drain() >= 1
    embedded_texts.clear()
    second = _post(client, agent, "k2", "Any news on this?", conversation_key="chat-77")
    assert second["conversation_id"] == first["conversation_id"] is not None
    # Another channel's thread with the same key is another conversation.
    other = _post(client, agent, "k3", "Hello", channel="email", conversation_key="chat-77")
    assert other["conversation_id"] != first["conversation_id"]

    assert drain() >= 1
    detail = client.get(f"/api/messages/{second['id']}", headers=agent.headers).json()
    suggestion = detail["suggestion"]
    assert suggestion["context_refs"] == [f"message:{first['id']}"]
    # The engine looked the reply up by the follow-up read with the first turn.
    assert any("88812345" in t and "Any news on this?" in t for t in embedded_texts)
    assert detail["conversation_id"] == first["conversation_id"]


def test_followup_by_the_same_customer_on_the_same_subject_joins_and_reopens(
    env: Env, client: TestClient, agent: Actor
) -> None:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    first = _post(
        client,
        agent,
        "s1",
        "The invoice total is wrong.",
        subject="Invoice 2211",
        customer=ANN,
        received_at=at.isoformat(),
    )
    drain()
    sent = client.post(
        f"/api/messages/{first['id']}/reply",
        json={"text": "Sorry, we are checking it."},
        headers=agent.headers,
    )
    assert sent.status_code == 201, sent.text
    conv = client.get(f"/api/conversations/{first['conversation_id']}", headers=agent.headers)
    assert conv.json()["status"] == "pending"

    follow = _post(
        client,
        agent,
        "s2",
        "Still wrong after your fix.",
        subject="RE: AW: invoice  2211",
        customer=ANN,
        received_at=(at + timedelta(days=2)).isoformat(),
    )
    assert follow["conversation_id"] == first["conversation_id"]
    # Another customer, or the same subject after the window, starts a new conversation.
    bob = _post(
        client,
        agent,
        "s3",
        "Mine too.",
        subject="Invoice 2211",
        customer={"email": "bob@example.com"},
        received_at=(at + timedelta(days=2)).isoformat(),
    )
    late = _post(
        client,
        agent,
        "s4",
        "Again.",
        subject="Re: Invoice 2211",
        customer=ANN,
        received_at=(at + timedelta(days=30)).isoformat(),
    )
    assert len({first["conversation_id"], bob["conversation_id"], late["conversation_id"]}) == 3

    with env.session() as s:
        conversation = s.get(Conversation, first["conversation_id"])
        assert conversation is not None
        assert conversation.status == "open" and conversation.message_count == 2
        assert conversation.first_response_at is not None
        events = s.scalars(
            select(ConversationEvent.event)
            .where(ConversationEvent.conversation_id == conversation.id)
            .order_by(ConversationEvent.id)
        ).all()
    assert events == ["created", "replied", "message", "reopened"]


def test_blank_conversation_key_is_refused_naming_the_field(
    env: Env, client: TestClient, agent: Actor
) -> None:
    r = client.post(
        "/api/messages",
        json={"channel": "chat", "external_id": "b1", "body": "hi", "conversation_key": "  "},
        headers=agent.headers,
    )
    assert r.status_code == 422
    assert "conversation_key" in r.text


def test_batch_threads_messages_with_the_same_key(
    env: Env, client: TestClient, agent: Actor
) -> None:
    r = client.post(
        "/api/messages/batch",
        json={
            "messages": [
                {
                    "channel": "chat",
                    "external_id": f"b{i}",
                    "body": f"turn {i}",
                    "conversation_key": "t-1",
                }
                for i in range(3)
            ]
        },
        headers=agent.headers,
    )
    assert r.status_code == 201, r.text
    ids = [item["id"] for item in r.json()["items"]]
    convs = {
        client.get(f"/api/messages/{i}", headers=agent.headers).json()["conversation_id"]
        for i in ids
    }
    assert len(convs) == 1
