"""E-mail in through POST /api/inbound/email and `smartinbox mail import`: threading by
Message-ID / In-Reply-To / References, dedupe, attachments as downloads, automated mail."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from smartinbox.cli import app as cli_app
from smartinbox.models import Conversation, EmailAttachment, Message
from tests.channels.mails import mail
from tests.conftest import Actor, Env, drain

RFC822 = {"Content-Type": "message/rfc822"}


def _post(client: TestClient, agent: Actor, raw: bytes, code: int = 201) -> dict:
    r = client.post("/api/inbound/email", content=raw, headers={**agent.headers, **RFC822})
    assert r.status_code == code, r.text
    return r.json()  # type: ignore[no-any-return]


def _count(env: Env, model: type) -> int:
    with env.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_mail_becomes_a_triaged_message_and_the_same_mail_again_is_not_added(
    env: Env, client: TestClient, agent: Actor
) -> None:
    text = (
        "My card was charged twice for order 5512, please refund one payment.\n\n"
        "-- \nAnn\n\nOn Mon, 30 Nov 2026, Support <support@shop.example> wrote:\n> Thanks!\n"
    )
    first = _post(client, agent, mail(text=text))
    assert first["created"] is True
    message = first["message"]
    assert message["channel"] == "email" and message["external_id"] == "m1@customer.example"
    assert message["customer"]["email"] == "ann@customer.example"
    assert message["body"] == "My card was charged twice for order 5512, please refund one payment."
    assert message["received_at"].startswith("2026-12-01T09:30")
    assert "> Thanks!" in first["email"]["display_text"]
    assert first["email"]["automated"] is None

    again = _post(client, agent, mail(text=text), code=200)
    assert again["created"] is False and again["message"]["id"] == message["id"]
    assert _count(env, Message) == 1

    drain()
    detail = client.get(f"/api/messages/{message['id']}", headers=agent.headers).json()
    assert detail["analysis"] is not None and detail["suggestion"] is not None


def test_replies_join_the_thread_of_their_root(env: Env, client: TestClient, agent: Actor) -> None:
    root = _post(client, agent, mail("<root@c.example>"))["message"]
    # Our reply (Message-ID we sent) is never stored as a message; the customer's answer to it
    # names the root in References.
    answer = _post(
        client,
        agent,
        mail(
            "<answer@c.example>",
            subject="Re: something else entirely",
            in_reply_to="<our-reply@shop.example>",
            references="<root@c.example> <our-reply@shop.example>",
            text="Thanks, but it is still missing.",
        ),
    )["message"]
    # A client that sends only In-Reply-To to a stored mail joins too.
    third = _post(
        client,
        agent,
        mail("<third@c.example>", in_reply_to="<answer@c.example>", text="Any news?"),
    )["message"]
    other = _post(client, agent, mail("<other@c.example>", subject="New topic"))["message"]
    assert root["conversation_id"] == answer["conversation_id"] == third["conversation_id"]
    assert other["conversation_id"] != root["conversation_id"]
    with env.session() as s:
        conversation = s.get(Conversation, root["conversation_id"])
        assert conversation is not None
        assert conversation.message_count == 3 and conversation.thread_key == "root@c.example"


def test_attachments_are_listed_and_downloaded_never_inlined(
    env: Env, client: TestClient, agent: Actor
) -> None:
    env.settings.max_attachment_bytes = 1000  # the app reads the same settings object
    big = b"x" * 1001
    out = _post(
        client,
        agent,
        mail(
            files=[
                ("invoice.pdf", "application/pdf", b"%PDF-1.4 small"),
                ("page.html", "text/html", b"<script>alert(1)</script>"),
                ("huge.bin", "application/octet-stream", big),
            ]
        ),
    )
    files = {f["filename"]: f for f in out["email"]["attachments"]}
    assert files["invoice.pdf"]["size"] == 14 and files["invoice.pdf"]["stored"] is True
    assert files["huge.bin"]["stored"] is False and files["huge.bin"]["download_url"] is None
    assert "1001 bytes" in files["huge.bin"]["skipped_reason"]

    page = client.get(files["page.html"]["download_url"], headers=agent.headers)
    assert page.status_code == 200 and page.content == b"<script>alert(1)</script>"
    assert page.headers["content-type"] == "application/octet-stream"
    assert page.headers["content-disposition"].startswith("attachment;")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert (
        client.get(f"/api/attachments/{files['huge.bin']['id']}", headers=agent.headers).status_code
        == 404
    )

    detail = client.get(f"/api/messages/{out['message']['id']}/email", headers=agent.headers)
    assert [f["filename"] for f in detail.json()["attachments"]] == list(files)
    assert _count(env, EmailAttachment) == 3

    page = client.get(f"/conversations/{out['message']['conversation_id']}", headers=agent.headers)
    assert page.status_code == 200
    assert f'href="{files["invoice.pdf"]["download_url"]}" download' in page.text
    assert "not kept (1001 bytes" in page.text
    assert "alert(1)" not in page.text  # a file is never inlined


def test_automated_mail_is_stored_flagged_and_tagged(
    env: Env, client: TestClient, agent: Actor
) -> None:
    out = _post(client, agent, mail(headers={"Auto-Submitted": "auto-replied"}, text="I am away."))
    assert out["email"]["automated"] == "auto_reply"
    assert out["email"]["automated_reason"] == "Auto-Submitted: auto-replied"
    bounce = _post(
        client,
        agent,
        mail("<b@mx.example>", sender="MAILER-DAEMON@mx.example", headers={"Return-Path": "<>"}),
    )
    assert bounce["email"]["automated"] == "bounce"
    with env.session() as s:
        tags = s.get(Conversation, out["message"]["conversation_id"]).tags  # type: ignore[union-attr]
    assert "auto-reply" in tags


def test_bad_requests_name_the_problem(env: Env, client: TestClient, agent: Actor) -> None:
    r = client.post(
        "/api/inbound/email",
        content=mail(),
        headers={**agent.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["detail"]["field"] == "content-type"
    r = client.post("/api/inbound/email", content=b"  ", headers={**agent.headers, **RFC822})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "email"
    env.settings.max_email_bytes = 500
    r = client.post(
        "/api/inbound/email", content=mail(text="x" * 600), headers={**agent.headers, **RFC822}
    )
    assert r.status_code == 413 and r.json()["detail"]["field"] == "email"
    assert client.post("/api/inbound/email", content=mail(), headers=RFC822).status_code == 401
    assert _count(env, Message) == 0


def test_mail_import_of_an_mbox_is_idempotent(sqlite_env: Env, tmp_path: Path) -> None:
    path = tmp_path / "support.mbox"
    box = mailbox.mbox(path)
    for i in range(5):
        box.add(mail(f"<imp{i}@c.example>", text=f"Question number {i} about my order."))
    box.add(mail("<imp0@c.example>", text="duplicate of the first"))
    box.add(mail("<big@c.example>", text="y" * 4000))
    box.flush()
    box.close()
    sqlite_env.settings.max_email_bytes = 3000
    runner = CliRunner()
    env_vars = {"SMARTINBOX_MAX_EMAIL_BYTES": "3000"}
    first = runner.invoke(
        cli_app, ["mail", "import", str(path), "--json", "--no-analyze"], env=env_vars
    )
    assert first.exit_code == 0, first.output
    result = json.loads(first.output)
    assert (result["mails"], result["created"], result["existing"], result["skipped"]) == (
        7,
        5,
        1,
        1,
    )
    assert "limit is 3000" in result["problems"][0]
    second = json.loads(
        runner.invoke(
            cli_app, ["mail", "import", str(path), "--json", "--no-analyze"], env=env_vars
        ).output
    )
    assert (second["created"], second["existing"]) == (0, 6)
    eml = tmp_path / "one.eml"
    eml.write_bytes(mail("<single@c.example>"))
    single = json.loads(
        runner.invoke(cli_app, ["mail", "import", str(eml), "--json"], env=env_vars).output
    )
    assert single["created"] == 1
    assert _count(sqlite_env, Message) == 6
