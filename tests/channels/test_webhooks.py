"""Signed webhooks against a real local HTTP server that checks the signature and fails on
purpose; endpoints managed with `smartinbox channels`, secrets stored encrypted."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox.channels.webhooks import SIGNATURE_HEADER, sign, verify
from smartinbox.cli import app as cli_app
from smartinbox.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import Actor, Env, drain

SECRET = "whsec-test-0123456789"


class Receiver:
    """A real HTTP server: answers 500 `fail_first` times, then 200; keeps valid bodies."""

    def __init__(self, secret: str, fail_first: int = 0) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.requests = 0
        self.bad_signatures = 0
        self.accepted: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                if not verify(receiver.secret, self.headers.get(SIGNATURE_HEADER, ""), body):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"on purpose")
                    return
                receiver.accepted.append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(SECRET, fail_first=2)
    yield r
    r.close()


def test_signature_round_trip() -> None:
    body = b'{"a":1}'
    import time

    now = int(time.time())
    header = sign(SECRET, now, body)
    assert verify(SECRET, header, body)
    assert not verify(SECRET, header, b'{"a":2}')
    assert not verify("other", header, body)
    assert not verify(SECRET, sign(SECRET, now - 3600, body), body)  # too old: a replay


def test_reply_is_delivered_signed_exactly_once_on_the_third_try(
    env: Env, client: TestClient, agent: Actor, receiver: Receiver
) -> None:
    env.settings.delivery_backoff_s = 0  # the retries are due at once
    runner = CliRunner()
    added = runner.invoke(
        cli_app,
        ["channels", "add", "crm", "--url", receiver.url, "--events", "reply.sent"],
    )
    assert added.exit_code == 0, added.output
    secret = added.output.rsplit(": ", 1)[1].strip()
    receiver.secret = secret
    with env.session() as s:
        stored = s.scalars(select(WebhookEndpoint)).one()
        assert secret not in stored.secret_encrypted and len(stored.secret_encrypted) > 40
    listed = runner.invoke(cli_app, ["channels", "list", "--json"])
    assert secret not in listed.output and json.loads(listed.output)[0]["name"] == "crm"

    m = client.post(
        "/api/messages",
        json={"channel": "chat", "external_id": "w1", "body": "Is my order on the way?"},
        headers=agent.headers,
    ).json()
    r = client.post(
        f"/api/messages/{m['id']}/reply",
        json={"text": "Yes, it ships today."},
        headers={**agent.headers, "Idempotency-Key": "hook-key-0001"},
    )
    assert r.status_code == 201
    drain()

    assert receiver.requests == 3 and receiver.bad_signatures == 0
    assert len(receiver.accepted) == 1
    event = receiver.accepted[0]
    assert event["event"] == "reply.sent"
    assert (
        event["data"]["text"] == "Yes, it ships today." and event["data"]["message_id"] == m["id"]
    )
    with env.session() as s:
        (delivery,) = s.scalars(select(WebhookDelivery)).all()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 3, 200)
        assert delivery.last_response == "ok"
    drain()
    assert len(receiver.accepted) == 1  # nothing sent twice

    tested = runner.invoke(cli_app, ["channels", "test", "crm"])
    assert tested.exit_code == 0 and "HTTP 200" in tested.output
    assert runner.invoke(cli_app, ["channels", "pause", "crm"]).exit_code == 0
    client.post(
        f"/api/messages/{m['id']}/reply",
        json={"text": "Another answer."},
        headers={**agent.headers, "Idempotency-Key": "hook-key-0002"},
    )
    drain()
    with env.session() as s:
        assert len(s.scalars(select(WebhookDelivery)).all()) == 1  # paused: not queued
    assert runner.invoke(cli_app, ["channels", "remove", "crm"]).exit_code == 0
    with env.session() as s:
        assert s.scalars(select(WebhookEndpoint)).all() == []


def test_events_are_subscribed_per_endpoint_and_bad_input_is_refused(
    env: Env, client: TestClient, agent: Actor, receiver: Receiver
) -> None:
    receiver.fail_first = 0
    runner = CliRunner()
    bad = runner.invoke(
        cli_app, ["channels", "add", "x", "--url", "ftp://a", "--events", "reply.sent"]
    )
    assert bad.exit_code == 2 and "url must be" in bad.output
    bad = runner.invoke(
        cli_app, ["channels", "add", "x", "--url", receiver.url, "--events", "nope"]
    )
    assert bad.exit_code == 2 and "unknown: nope" in bad.output
    added = runner.invoke(
        cli_app,
        [
            "channels",
            "add",
            "ops",
            "--url",
            receiver.url,
            "--events",
            "message.created,message.analysed",
        ],
    )
    receiver.secret = added.output.rsplit(": ", 1)[1].strip()
    client.post(
        "/api/messages",
        json={"channel": "chat", "external_id": "w2", "body": "My invoice is wrong."},
        headers=agent.headers,
    )
    drain()
    assert sorted(e["event"] for e in receiver.accepted) == ["message.analysed", "message.created"]
    assert receiver.bad_signatures == 0
