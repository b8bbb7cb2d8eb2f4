"""The agent's workflow through the API: status, assignment, tags, notes, bulk actions, the
timeline of events with actors, snoozes woken by the job, SLA flags, idempotent sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from smartinbox.conversations.tasks import wake_snoozed
from smartinbox.models import AgentReply, Conversation, User
from tests.conftest import Actor, Env, create_actor


def _new(client: TestClient, agent: Actor, ext: str, body: str = "Where is my parcel?") -> dict:
    r = client.post(
        "/api/messages",
        json={"channel": "chat", "external_id": ext, "body": body, "conversation_key": ext},
        headers=agent.headers,
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _conv(client: TestClient, agent: Actor, cid: int) -> dict:
    r = client.get(f"/api/conversations/{cid}", headers=agent.headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_status_assignment_tags_and_notes_are_events_with_their_actor(
    env: Env, client: TestClient, agent: Actor
) -> None:
    other = create_actor(env, "bea@example.com")
    cid = _new(client, agent, "w1")["conversation_id"]
    with env.session() as s:
        other_id = s.scalar(select(User.id).where(User.email == "bea@example.com"))

    patch = client.patch(
        f"/api/conversations/{cid}",
        json={"status": "pending", "tags": ["Billing", "vip"], "priority": "urgent"},
        headers=agent.headers,
    )
    assert patch.status_code == 200, patch.text
    body = patch.json()
    assert body["status"] == "pending" and body["tags"] == ["billing", "vip"]
    assert body["priority"] == "urgent" and body["priority_source"] == "manual"

    assigned = client.patch(
        f"/api/conversations/{cid}", json={"assignee_id": other_id}, headers=agent.headers
    )
    assert assigned.json()["assignee_email"] == "bea@example.com"
    note = client.post(
        f"/api/conversations/{cid}/notes",
        json={"text": "Customer is on the phone too."},
        headers=other.headers,
    )
    assert note.status_code == 201, note.text
    solved = client.patch(
        f"/api/conversations/{cid}", json={"status": "solved"}, headers=other.headers
    )
    assert solved.json()["status"] == "solved" and solved.json()["solved_at"]

    detail = _conv(client, agent, cid)
    assert [n["text"] for n in detail["notes"]] == ["Customer is on the phone too."]
    timeline = [(e["event"], e["actor_email"]) for e in detail["events"]]
    assert timeline == [
        ("created", None),
        ("status", "agent@example.com"),
        ("tags", "agent@example.com"),
        ("priority", "agent@example.com"),
        ("assigned", "agent@example.com"),
        ("note", "bea@example.com"),
        ("status", "bea@example.com"),
    ]

    mine = client.get("/api/conversations?assignee=mine&status=all", headers=other.headers)
    assert [c["id"] for c in mine.json()["items"]] == [cid]
    tagged = client.get("/api/conversations?tag=vip&status=all", headers=agent.headers)
    assert [c["id"] for c in tagged.json()["items"]] == [cid]
    assert (
        client.get("/api/conversations?tag=vi&status=all", headers=agent.headers).json()["total"]
        == 0
    )


def test_bad_input_names_the_field(env: Env, client: TestClient, agent: Actor) -> None:
    cid = _new(client, agent, "w2")["conversation_id"]
    cases = [
        ({"status": "banana"}, "status"),
        ({"status": "snoozed"}, "snoozed_until"),
        ({"tags": ["<script>"]}, "tags"),
        ({"assignee_id": 999999}, "assignee_id"),
        ({"status": "snoozed", "snoozed_until": "2001-01-01T00:00:00Z"}, "snoozed_until"),
    ]
    for payload, field in cases:
        r = client.patch(f"/api/conversations/{cid}", json=payload, headers=agent.headers)
        assert r.status_code == 422, (payload, r.text)
        assert field in r.text, (payload, r.text)
    assert client.get("/api/conversations/999999", headers=agent.headers).status_code == 404
    # Nothing half-written: the conversation is as it was.
    assert _conv(client, agent, cid)["status"] == "open"


def test_bulk_assign_tag_close_and_not_spam(env: Env, client: TestClient, agent: Actor) -> None:
    ids = [_new(client, agent, f"b{i}")["conversation_id"] for i in range(3)]
    with env.session() as s:
        s.execute(update(Conversation).where(Conversation.id == ids[2]).values(spam=True))
    default = client.get("/api/conversations", headers=agent.headers).json()
    assert sorted(c["id"] for c in default["items"]) == sorted(ids[:2])  # spam left out

    r = client.post(
        "/api/conversations/bulk",
        json={"ids": ids, "action": "tag", "tag": "outage"},
        headers=agent.headers,
    )
    assert r.status_code == 200 and r.json()["changed"] == sorted(ids)
    r = client.post(
        "/api/conversations/bulk",
        json={"ids": [ids[2]], "action": "not_spam"},
        headers=agent.headers,
    )
    assert r.json()["changed"] == [ids[2]]
    r = client.post(
        "/api/conversations/bulk",
        json={"ids": ids[:2], "action": "close"},
        headers=agent.headers,
    )
    assert r.json()["changed"] == sorted(ids[:2])
    again = client.post(
        "/api/conversations/bulk",
        json={"ids": ids[:2], "action": "close"},
        headers=agent.headers,
    )
    assert again.json() == {"changed": [], "unchanged": sorted(ids[:2])}
    missing = client.post(
        "/api/conversations/bulk",
        json={"ids": [ids[0], 987654], "action": "close"},
        headers=agent.headers,
    )
    assert missing.status_code == 404 and "ids" in missing.text
    no_tag = client.post(
        "/api/conversations/bulk", json={"ids": ids, "action": "tag"}, headers=agent.headers
    )
    assert no_tag.status_code == 422 and "tag" in no_tag.text

    active = client.get("/api/conversations", headers=agent.headers).json()
    assert [c["id"] for c in active["items"]] == [ids[2]]
    assert active["items"][0]["tags"] == ["outage"]
    closed = client.get("/api/conversations?status=closed", headers=agent.headers).json()
    assert sorted(c["id"] for c in closed["items"]) == sorted(ids[:2])


def test_snoozed_conversation_wakes_when_due(env: Env, client: TestClient, agent: Actor) -> None:
    cid = _new(client, agent, "z1")["conversation_id"]
    until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    r = client.patch(
        f"/api/conversations/{cid}",
        json={"status": "snoozed", "snoozed_until": until},
        headers=agent.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "snoozed"
    assert wake_snoozed.call_local() == 0  # not due yet
    with env.session() as s:
        s.execute(
            update(Conversation)
            .where(Conversation.id == cid)
            .values(snoozed_until=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert wake_snoozed.call_local() == 1
    assert wake_snoozed.call_local() == 0  # idempotent
    detail = _conv(client, agent, cid)
    assert detail["status"] == "open" and detail["snoozed_until"] is None
    assert [e["event"] for e in detail["events"]][-1] == "woke"


def test_priority_view_puts_urgent_then_due_then_unassigned_first_with_sla_flags(
    env: Env, client: TestClient, agent: Actor
) -> None:
    ids = [_new(client, agent, f"p{i}")["conversation_id"] for i in range(4)]
    now = datetime.now(UTC)
    with env.session() as s:
        rows = {c.id: c for c in s.scalars(select(Conversation))}
        rows[ids[0]].first_response_due = now + timedelta(hours=5)
        rows[ids[1]].first_response_due = now - timedelta(minutes=5)  # breached
        rows[ids[2]].first_response_due = now + timedelta(minutes=10)  # about to breach
        rows[ids[3]].priority, rows[ids[3]].priority_rank = "urgent", 0
        rows[ids[3]].first_response_due = now + timedelta(hours=1)
    items = client.get("/api/conversations", headers=agent.headers).json()["items"]
    assert [c["id"] for c in items] == [ids[3], ids[1], ids[2], ids[0]]
    flags = {c["id"]: c["sla"] for c in items}
    assert flags[ids[1]]["first_response_breached"] and not flags[ids[1]]["at_risk"]
    assert flags[ids[2]]["at_risk"] and not flags[ids[2]]["first_response_breached"]
    assert not flags[ids[0]]["at_risk"] and not flags[ids[0]]["first_response_breached"]


def test_double_send_with_one_idempotency_key_stores_one_reply(
    env: Env, client: TestClient, agent: Actor
) -> None:
    message = _new(client, agent, "d1")
    url = f"/api/messages/{message['id']}/reply"
    first = client.post(
        url, json={"text": "On its way!"}, headers={**agent.headers, "Idempotency-Key": "send-0001"}
    )
    second = client.post(
        url, json={"text": "On its way!"}, headers={**agent.headers, "Idempotency-Key": "send-0001"}
    )
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    in_body = client.post(
        url, json={"text": "On its way!", "idempotency_key": "send-0001"}, headers=agent.headers
    )
    assert in_body.json()["id"] == first.json()["id"]
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(AgentReply)) == 1
    detail = _conv(client, agent, message["conversation_id"])
    assert [e["event"] for e in detail["events"]].count("replied") == 1
    assert detail["sla"]["first_response_at"] is not None
    # A new key is a new reply.
    third = client.post(
        url,
        json={"text": "And a tracking link."},
        headers={**agent.headers, "Idempotency-Key": "send-0002"},
    )
    assert third.json()["id"] != first.json()["id"]


def test_sla_due_times_follow_the_priority_targets_in_settings(
    env: Env, client: TestClient, agent: Actor
) -> None:
    cid = _new(client, agent, "t1")["conversation_id"]
    r = client.patch(
        f"/api/conversations/{cid}", json={"priority": "urgent"}, headers=agent.headers
    )
    sla = r.json()["sla"]
    first = datetime.fromisoformat(r.json()["first_message_at"])
    settings = env.settings
    assert datetime.fromisoformat(sla["first_response_due"]) == first + timedelta(
        minutes=settings.sla_first_response_urgent_min
    )
    assert datetime.fromisoformat(sla["resolution_due"]) == first + timedelta(
        minutes=settings.sla_resolution_urgent_min
    )
    low = client.patch(f"/api/conversations/{cid}", json={"priority": "low"}, headers=agent.headers)
    assert datetime.fromisoformat(low.json()["sla"]["first_response_due"]) == first + timedelta(
        minutes=settings.sla_first_response_low_min
    )
