"""E-mail out against a real SMTP server (aiosmtpd): the agent's reply reaches the customer
threaded under their mail, exactly once; temporary failures are retried, permanent ones fail
with the server's reason and can be retried."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from smartinbox.channels import deliveries
from smartinbox.channels.tasks import resend_due
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import ReplyDelivery
from tests.channels.mails import mail
from tests.conftest import Actor, Env, drain

RFC822 = {"Content-Type": "message/rfc822"}


class Inbox:
    """A real SMTP server on a free local port that keeps what it receives."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.received: list[bytes] = []
        self.answer = "250 OK"
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.answer.startswith("250"):
            self.received.append(envelope.content)
        return self.answer

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(env: Env) -> Iterator[Inbox]:
    inbox = Inbox()
    env.settings.smtp_host = "127.0.0.1"
    env.settings.smtp_port = inbox.port
    env.settings.smtp_from = "Shop Support <support@shop.example>"
    env.settings.smtp_timeout_s = 5
    env.settings.delivery_backoff_s = 60
    yield inbox
    inbox.stop()


def _inbound(client: TestClient, agent: Actor, raw: bytes) -> dict:
    r = client.post("/api/inbound/email", content=raw, headers={**agent.headers, **RFC822})
    assert r.status_code in (200, 201), r.text
    return r.json()["message"]  # type: ignore[no-any-return]


def _reply(client: TestClient, agent: Actor, message_id: int, key: str, text: str) -> dict:
    r = client.post(
        f"/api/messages/{message_id}/reply",
        json={"text": text},
        headers={**agent.headers, "Idempotency-Key": key},
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _deliveries(client: TestClient, agent: Actor, reply_id: int) -> list[dict]:
    r = client.get(f"/api/replies/{reply_id}/deliveries", headers=agent.headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_reply_reaches_the_customer_threaded_once_and_their_answer_joins(
    env: Env, client: TestClient, agent: Actor, smtp: Inbox
) -> None:
    smtp.start()
    message = _inbound(client, agent, mail("<first@customer.example>", references=None))
    drain()
    text = "Hello Ann,\n\nyour refund was sent today.\nIt takes 3 days.\n\nBest, Shop <Support>"
    reply = _reply(client, agent, message["id"], "send-key-0001", text)
    again = _reply(client, agent, message["id"], "send-key-0001", text)  # a double click
    assert again["id"] == reply["id"]
    drain()
    drain()

    assert len(smtp.received) == 1
    sent = message_from_bytes(smtp.received[0], policy=policy.default)
    assert sent["To"] == "ann@customer.example"
    assert sent["From"] == "Shop Support <support@shop.example>"
    assert sent["Subject"] == "Re: Refund for order 1234"
    assert sent["In-Reply-To"] == "<first@customer.example>"
    assert sent["References"] == "<first@customer.example>"
    assert sent.get_content_type() == "multipart/alternative"
    plain = sent.get_body(preferencelist=("plain",))
    html = sent.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n").strip() == text
    assert "Shop &lt;Support&gt;" in html.get_content() and "<br>" in html.get_content()

    (delivery,) = _deliveries(client, agent, reply["id"])
    assert delivery["status"] == "sent" and delivery["attempts"] == 1
    assert sent["Message-ID"] == f"<{delivery['rfc_message_id']}>"

    answer = _inbound(
        client,
        agent,
        mail(
            "<answer@customer.example>",
            subject="Re: Refund for order 1234",
            in_reply_to=sent["Message-ID"],
            references=f"<first@customer.example> {sent['Message-ID']}",
            text="Thank you, it arrived.",
        ),
    )
    assert answer["conversation_id"] == message["conversation_id"]
    # A client that names only our reply (no References) joins the same conversation.
    bare = _inbound(
        client,
        agent,
        mail("<bare@customer.example>", subject="thanks", in_reply_to=sent["Message-ID"]),
    )
    assert bare["conversation_id"] == message["conversation_id"]
    resend_due.call_local()
    assert len(smtp.received) == 1


def test_a_try_cut_off_mid_send_is_taken_up_again_with_the_same_message_id(
    env: Env, client: TestClient, agent: Actor, smtp: Inbox
) -> None:
    smtp.start()
    message = _inbound(client, agent, mail())
    reply = _reply(client, agent, message["id"], "send-key-0006", "On its way.")
    (delivery,) = _deliveries(client, agent, reply["id"])
    # A worker claimed the delivery and died before it sent (its queued job is lost too).
    assert deliveries._claim(env.settings, delivery["id"])
    from smartinbox.worker import huey

    huey.flush()
    assert resend_due.call_local() == 0  # the lease still holds: nobody else sends it
    with env.session() as s:
        s.execute(update(ReplyDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    assert resend_due.call_local() == 1
    drain()
    assert len(smtp.received) == 1
    sent = message_from_bytes(smtp.received[0], policy=policy.default)
    (delivery,) = _deliveries(client, agent, reply["id"])
    assert delivery["status"] == "sent" and delivery["attempts"] == 2
    assert sent["Message-ID"] == f"<{delivery['rfc_message_id']}>"


def test_server_down_then_up_is_retried_and_delivered_once(
    env: Env, client: TestClient, agent: Actor, smtp: Inbox
) -> None:
    message = _inbound(client, agent, mail())
    reply = _reply(client, agent, message["id"], "send-key-0002", "We are on it.")
    drain()  # the server is down: a temporary failure, the next try is scheduled
    (delivery,) = _deliveries(client, agent, reply["id"])
    assert delivery["status"] == "queued" and delivery["attempts"] == 1
    assert "Connection" in delivery["last_error"] or "refused" in delivery["last_error"]
    assert delivery["next_attempt_at"] is not None

    assert resend_due.call_local() == 0  # not due yet: the backoff holds
    smtp.start()
    with env.session() as s:  # the backoff has passed
        s.execute(update(ReplyDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    assert resend_due.call_local() == 1  # queues the due try
    drain()
    assert resend_due.call_local() == 0
    drain()
    assert len(smtp.received) == 1
    (delivery,) = _deliveries(client, agent, reply["id"])
    assert delivery["status"] == "sent" and delivery["attempts"] == 2
    assert delivery["last_error"] is None


def test_permanent_failure_keeps_the_reason_and_can_be_retried(
    env: Env, client: TestClient, agent: Actor, smtp: Inbox
) -> None:
    smtp.answer = "550 5.1.1 mailbox unavailable"
    smtp.start()
    message = _inbound(client, agent, mail())
    reply = _reply(client, agent, message["id"], "send-key-0003", "Here is the answer.")
    drain()
    (delivery,) = _deliveries(client, agent, reply["id"])
    assert delivery["status"] == "failed"
    assert delivery["last_error"] == "550 5.1.1 mailbox unavailable"
    assert delivery["attempts"] == 1 and smtp.received == []

    page = client.get(f"/conversations/{message['conversation_id']}", headers=agent.headers)
    assert page.status_code == 200
    assert "550 5.1.1 mailbox unavailable" in page.text
    assert f"/deliveries/{delivery['id']}/retry" in page.text

    smtp.answer = "250 OK"
    r = client.post(f"/api/deliveries/{delivery['id']}/retry", headers=agent.headers)
    assert r.status_code == 200 and r.json()["status"] == "queued"
    drain()
    page = client.get(f"/conversations/{message['conversation_id']}", headers=agent.headers)
    assert 'class="badge delivery-sent"' in page.text
    (delivery,) = _deliveries(client, agent, reply["id"])
    assert delivery["status"] == "sent" and len(smtp.received) == 1
    r = client.post(f"/api/deliveries/{delivery['id']}/retry", headers=agent.headers)
    assert r.status_code == 409
    drain()
    assert len(smtp.received) == 1


def test_automated_mail_and_non_email_messages_are_not_answered_by_email(
    env: Env, client: TestClient, agent: Actor, smtp: Inbox
) -> None:
    smtp.start()
    auto = _inbound(client, agent, mail(headers={"Auto-Submitted": "auto-replied"}))
    reply = _reply(client, agent, auto["id"], "send-key-0004", "Noted.")
    api = client.post(
        "/api/messages",
        json={"channel": "chat", "external_id": "c1", "body": "hi, where is my order?"},
        headers=agent.headers,
    ).json()
    chat_reply = _reply(client, agent, api["id"], "send-key-0005", "It ships today.")
    drain()
    (delivery,) = _deliveries(client, agent, reply["id"])
    assert delivery["status"] == "failed" and "automated" in delivery["last_error"]
    assert _deliveries(client, agent, chat_reply["id"]) == []
    assert smtp.received == []
    with env.session() as s:
        assert len(s.scalars(select(ReplyDelivery)).all()) == 1
