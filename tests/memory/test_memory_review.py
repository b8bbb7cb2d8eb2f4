"""The reply memory agents cannot poison, end to end through the API, the CLI and a retraining."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.models import MemoryReview
from smartinbox.versions import engines as version_engines
from tests.conftest import Actor, Env, create_actor
from tests.feedback.helpers import ingest, rate, reply

runner = CliRunner()
QUESTION = "I cannot log in to my account to get the refund for my cancelled order."
SIMILAR = "I am unable to log into my account to claim the refund of my cancelled order."
POISON = "log in at https://evil-reset.example with your card number and we will refund $500"
PAYPAL = "Can I pay my invoice with PayPal instead of a credit card?"
PAYPAL_AGAIN = "Is it possible to settle the invoice using PayPal rather than my credit card?"
PAYPAL_THIRD = "Could I use PayPal to pay my invoice instead of a credit card?"
PAYPAL_REPLY = (
    "Yes: open Billing > Payment methods, choose PayPal and confirm; the invoice updates at once."
)


def _teach(client: TestClient, agent: Actor, external_id: str, question: str, answer: str) -> int:
    m = ingest(client, agent, external_id, question)
    rate(client, agent, m["id"], useful=False)
    reply(client, agent, m["id"], answer)
    return int(m["id"])


def _review(env: Env, message_id: int) -> MemoryReview:
    with env.session() as s:
        row = s.scalars(select(MemoryReview).where(MemoryReview.message_id == message_id)).one()
        s.expunge(row)
        return row


def _export(tmp_path: Path) -> str:
    out = tmp_path / "training.csv"
    result = runner.invoke(cli, ["export", "training", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text()


def _never_suggests(s: dict[str, Any], text: str, threshold: float) -> None:
    assert text not in s["text"]
    assert all(text not in e["reply"] for e in s["evidence"])
    if "evil-reset" in s["text"]:
        raise AssertionError(s)
    assert s["confidence"] < threshold or text not in s["text"]


def test_a_poisoned_reply_is_held_never_suggested_nor_exported_even_after_retraining(
    env: Env, client: TestClient, agent: Actor, admin: Actor, tmp_path: Path
) -> None:
    threshold = env.settings.auto_snooze_threshold
    poisoned = _teach(client, agent, "p-1", QUESTION, POISON)
    row = _review(env, poisoned)
    assert row.status == "held" and "evil-reset.example" in (row.reason or "")
    assert row.learned_from == "agent"
    queue = client.get("/api/memory?status=held", headers=admin.headers).json()
    assert [r["id"] for r in queue["items"]] == [row.id]

    # Instant learning did not take it: a similar message is not answered with it.
    now = ingest(client, agent, "p-2", SIMILAR)["suggestion"]
    _never_suggests(now, "evil-reset", threshold)

    # Nor does a retrained version's memory, nor its training data.
    result = runner.invoke(cli, ["retrain", "--provider", "local"])
    assert result.exit_code == 0, result.output
    tag = json.loads(result.stdout.strip().splitlines()[-1])["version_tag"]
    memory_file = Path(client.get(f"/api/versions/{tag}", headers=admin.headers)
                       .json()["artifacts"]["reply_memory"])  # fmt: skip
    assert "evil-reset" not in memory_file.read_text()
    assert runner.invoke(cli, ["versions", "promote", tag, "--force"]).exit_code == 0
    after = ingest(client, agent, "p-3", SIMILAR + " Please help.")
    _never_suggests(after["suggestion"], "evil-reset", threshold)
    assert "evil-reset" not in _export(tmp_path)
    page = client.get(f"/messages/{after['id']}", headers=agent.headers)
    assert page.status_code == 200 and "evil-reset" not in page.text


def test_an_unreviewed_reply_stays_below_the_threshold_until_a_second_agent_approves_it(
    env: Env, client: TestClient, agent: Actor
) -> None:
    threshold = env.settings.auto_snooze_threshold
    learned = _teach(client, agent, "u-1", PAYPAL, PAYPAL_REPLY)
    shown = ingest(client, agent, "u-2", PAYPAL_AGAIN)
    before = shown["suggestion"]
    assert before["text"] == PAYPAL_REPLY
    assert before["confidence"] < threshold and before["snoozed"]
    note = "Learned from one reply by agent, unreviewed."
    assert before["review_note"] == note and note in before["snooze_reason"]
    page = client.get(f"/messages/{shown['id']}", headers=agent.headers).text
    assert 'id="review-note"' in page and note in page
    assert 'rows="8" required aria-label="Reply"></textarea>' in page  # not pre-filled

    review_id = _review(env, learned).id
    own = client.post(f"/api/memory/{review_id}/approve", headers=agent.headers)
    assert own.status_code == 409 and "second agent" in own.json()["detail"]["message"]
    other = create_actor(env, "second@example.com")
    approved = client.post(f"/api/memory/{review_id}/approve", headers=other.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["reviewed_by"] == "second"

    after = ingest(client, agent, "u-3", PAYPAL_THIRD)["suggestion"]
    assert after["text"] == PAYPAL_REPLY and after["review_note"] is None
    assert after["confidence"] >= before["confidence"]


def test_a_second_agent_sending_the_suggestion_approves_it(
    env: Env, client: TestClient, agent: Actor
) -> None:
    learned = _teach(client, agent, "s-1", PAYPAL, PAYPAL_REPLY)
    other = create_actor(env, "second@example.com")
    m = ingest(client, other, "s-2", PAYPAL_AGAIN)
    assert m["suggestion"]["review_note"]
    reply(client, other, m["id"], m["suggestion"]["text"])  # sent unchanged
    row = _review(env, learned)
    assert row.status == "approved" and row.reviewed_by == "second"


def test_accidental_replies_are_not_remembered(
    env: Env, client: TestClient, agent: Actor, tmp_path: Path
) -> None:
    junk = _teach(client, agent, "j-1", PAYPAL, "-2+3 we are sorry")
    row = _review(env, junk)
    assert row.status == "junk" and row.reason
    again = ingest(client, agent, "j-2", PAYPAL_AGAIN)["suggestion"]
    assert "-2+3" not in again["text"]
    assert "-2+3" not in _export(tmp_path)


def _active_refs(env: Env) -> set[str | None]:
    engine = version_engines.live_engine(env.settings)
    _, active, entries = engine.memory.snapshot()  # type: ignore[attr-defined]
    return {e.ref_id for e, on in zip(entries, active, strict=True) if on}


def test_admin_removes_and_edits_and_every_worker_and_export_follows(
    env: Env, client: TestClient, agent: Actor, admin: Actor, tmp_path: Path
) -> None:
    learned = _teach(client, agent, "r-1", PAYPAL, PAYPAL_REPLY)
    review_id = _review(env, learned).id
    assert f"message:{learned}" in _active_refs(env)

    found = client.get("/api/memory?q=paypal", headers=admin.headers).json()
    assert found["total"] == 1 and found["items"][0]["reply"] == PAYPAL_REPLY
    assert client.delete(f"/api/memory/{review_id}", headers=agent.headers).status_code == 403
    edited = "PayPal works for invoices: choose it under Billing > Payment methods."
    r = client.put(f"/api/memory/{review_id}", json={"reply": edited}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "approved"
    bad = client.put(f"/api/memory/{review_id}", json={"reply": "see https://elsewhere.example"},
                     headers=admin.headers)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "reply"
    s = ingest(client, agent, "r-2", PAYPAL_AGAIN)["suggestion"]
    assert s["text"] == edited and s["review_note"] is None
    exported = _export(tmp_path)
    assert edited in exported and PAYPAL_REPLY not in exported

    # Removal by the CLI, as from another process: the stamp moves, the loaded memory is
    # rebuilt without the reply on the next lookup, and the exports leave it out.
    result = runner.invoke(cli, ["memory", "remove", str(review_id), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "removed"
    assert f"message:{learned}" not in _active_refs(env)
    s = ingest(client, agent, "r-3", PAYPAL_THIRD)["suggestion"]
    assert edited not in s["text"] and PAYPAL_REPLY not in s["text"]
    assert edited not in _export(tmp_path)
    listed = json.loads(runner.invoke(cli, ["memory", "list", "--status", "removed", "--json"])
                        .stdout)  # fmt: skip
    assert [i["id"] for i in listed["items"]] == [review_id]
    shown = runner.invoke(cli, ["memory", "show", str(review_id)])
    assert shown.exit_code == 0 and "[removed]" in shown.stdout
    missing = runner.invoke(cli, ["memory", "show", "999999"])
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_review_page_for_admins(
    sqlite_env: Env, client: TestClient, agent: Actor, admin: Actor
) -> None:
    held = _teach(client, agent, "w-1", QUESTION, POISON)
    review_id = _review(sqlite_env, held).id
    assert client.get("/memory", headers=agent.headers).status_code == 403
    page = client.get("/memory?status=held", headers=admin.headers)
    assert page.status_code == 200
    assert 'href="/memory"' in page.text and f'id="memory-{review_id}"' in page.text
    assert "evil-reset.example" in page.text and "<script" not in POISON
    removed = client.post(f"/memory/{review_id}/remove", headers=admin.headers,
                          follow_redirects=False)  # fmt: skip
    assert removed.status_code == 303
    assert _review(sqlite_env, held).status == "removed"
    assert f'id="memory-{review_id}"' not in client.get("/memory?status=held",
                                                         headers=admin.headers).text  # fmt: skip
