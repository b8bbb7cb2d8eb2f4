"""The UI in real Chromium against a real server: login, inbox, filters, message page, reply."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import Actor, Env
from tests.web.conftest import LiveServer, login, screenshot

pytestmark = pytest.mark.browser

MESSAGES = [
    ("b-urgent", "Store down", "HELP! My store is down, and it's peak hours!"),
    ("b-question", "Bank", "Hey, can I connect my bank to this or only cards?"),
    ("b-spam", "", "asdkjh123 iasdj"),
    (
        "b-xss",
        "<img src=x onerror=alert('subject')>",
        "<script>alert('body')</script><b>bold?</b> where is my order 5521?",
    ),
]


def _ingest(server: LiveServer, actor: Actor) -> dict[str, int]:
    ids = {}
    for ext, subject, body in MESSAGES:
        r = httpx.post(
            server.url + "/api/messages",
            json={
                "channel": "web",
                "external_id": ext,
                "subject": subject,
                "body": body,
                "customer": {"email": f"{ext}@example.com", "name": "<svg onload=alert('name')>"},
            },
            headers=actor.headers,
        )
        assert r.status_code == 201, r.text
        ids[ext] = r.json()["id"]
    deadline = time.monotonic() + 60
    for mid in ids.values():
        while time.monotonic() < deadline:
            detail = httpx.get(f"{server.url}/api/messages/{mid}", headers=actor.headers).json()
            if detail["analysis"] and detail["suggestion"]:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"message {mid} was not analysed by the embedded worker")
    return ids


def test_login_inbox_filter_message_and_reply(
    sqlite_env: Env, live_server: LiveServer, page, agent: Actor
) -> None:  # type: ignore[no-untyped-def]
    ids = _ingest(live_server, agent)

    page.goto("/inbox")
    assert "/login" in page.url  # not logged in yet
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "wrong e-mail or password"
    login(page, agent)

    rows = page.locator("table.messages tbody tr")
    assert rows.count() == len(MESSAGES)
    urgent_row = page.locator(f"tr[data-message-id='{ids['b-urgent']}']")
    assert urgent_row.locator(".badge.kind-urgent").count() == 1
    assert urgent_row.locator(".badge.urgency").inner_text().startswith("urgency 0.")
    spam_row = page.locator(f"tr[data-message-id='{ids['b-spam']}']")
    assert spam_row.locator(".badge.snoozed").count() == 1
    screenshot(page, "inbox")

    page.select_option("select[name=kind]", "urgent")  # htmx swaps the rows in place
    expect(rows).to_have_count(1)  # locator waits: the page's CSP forbids eval-based waits
    assert "kind=urgent" in page.url
    page.select_option("select[name=kind]", "")
    expect(rows).to_have_count(len(MESSAGES))

    page.click(f"tr[data-message-id='{ids['b-xss']}'] a")
    page.wait_for_url(f"**/messages/{ids['b-xss']}")
    body = page.locator("#message-body").inner_text()
    assert "<script>alert('body')</script>" in body  # shown as text
    assert page.locator("#message-body script, #message-body b, img[onerror], svg").count() == 0
    assert page.locator("#analysis table.kv").count() == 1
    assert "% confident" in page.locator("#analysis").inner_text()
    assert "confidence" in page.locator("#suggestion .badge.confidence").inner_text()
    screenshot(page, "message")

    page.fill("textarea[name=text]", "Thanks! Your order 5521 ships today.")
    page.click("#reply button[type=submit]")
    page.wait_for_url(f"**/messages/{ids['b-xss']}")
    assert "replied" in page.locator(".status").first.inner_text()
    assert "Thanks! Your order 5521 ships today." in page.locator("#reply .sent").inner_text()
    assert page.errors == []  # no script ran, no CSP violation, no JS error


def test_snoozed_message_shows_the_warning_badge(
    sqlite_env: Env, live_server: LiveServer, page, agent: Actor
) -> None:  # type: ignore[no-untyped-def]
    ids = _ingest(live_server, agent)
    login(page, agent)
    page.goto(f"/messages/{ids['b-spam']}")
    badge = page.locator("#suggestion .badge.snoozed")
    assert badge.count() == 1 and "Auto-snoozed" in badge.inner_text()
    page.goto("/inbox?snoozed=true")
    assert page.locator(f"tr[data-message-id='{ids['b-spam']}']").count() == 1
    assert page.errors == []
