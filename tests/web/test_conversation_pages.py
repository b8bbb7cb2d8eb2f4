"""The conversations UI in real Chromium: the priority-first list driven by the keyboard, the
conversation page's timeline, a composer that clears after sending and never refills with the
AI draft, double-send protection, inline errors that keep the typed text, notes and controls."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from smartinbox.models import AgentReply
from tests.conftest import Actor, Env
from tests.web.conftest import LiveServer, login, screenshot

pytestmark = pytest.mark.browser


def _thread(server: LiveServer, actor: Actor) -> tuple[int, int]:
    ids = []
    for ext, body in (
        ("c1", "My parcel for order 55512345 has not arrived."),
        ("c2", "Any news? It has been a week."),
    ):
        r = httpx.post(
            server.url + "/api/messages",
            json={
                "channel": "chat",
                "external_id": ext,
                "subject": "Late parcel",
                "body": body,
                "conversation_key": "chat-1",
                "customer": {"email": "cara@example.com", "name": "Cara"},
            },
            headers=actor.headers,
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    other = httpx.post(
        server.url + "/api/messages",
        json={
            "channel": "chat",
            "external_id": "c3",
            "body": "Can I pay by invoice?",
            "conversation_key": "chat-2",
        },
        headers=actor.headers,
    )
    assert other.status_code == 201
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        detail = httpx.get(f"{server.url}/api/messages/{ids[1]}", headers=actor.headers).json()
        if detail["suggestion"]:
            return detail["conversation_id"], other.json()["conversation_id"]
        time.sleep(0.2)
    pytest.fail("the follow-up was not analysed by the embedded worker")


def _replies(env: Env) -> int:
    with env.session() as s:
        return int(s.scalar(select(func.count()).select_from(AgentReply)) or 0)


def test_keyboard_list_conversation_page_and_composer(
    sqlite_env: Env, live_server: LiveServer, page, agent: Actor
) -> None:  # type: ignore[no-untyped-def]
    cid, other = _thread(live_server, agent)
    login(page, agent)
    page.goto("/conversations")
    rows = page.locator("#conversation-list tbody tr")
    expect(rows).to_have_count(2)
    page.keyboard.press("?")
    expect(page.locator("#shortcut-help")).to_be_visible()
    page.keyboard.press("?")
    expect(page.locator("#shortcut-help")).to_be_hidden()
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_attribute("aria-selected", "true")
    target = int(rows.nth(0).get_attribute("data-id") or 0)
    screenshot(page, "conversations")
    page.keyboard.press("o")
    page.wait_for_url(f"**/conversations/{target}")
    page.goto("/conversations")
    page.keyboard.press("j")
    page.keyboard.press("r")
    page.wait_for_url(f"**/conversations/{target}#reply")
    expect(page.locator("#reply-text")).to_be_focused()

    page.goto(f"/conversations/{cid}")
    timeline = page.locator("#timeline .turn.customer")
    expect(timeline).to_have_count(2)
    assert "1 earlier turn" in page.locator("#suggestion").inner_text()
    composer = page.locator("#reply-text")
    assert composer.input_value() == ""  # the AI draft is offered, not pre-filled
    page.click("#use-suggestion")
    assert composer.input_value() == page.locator("#suggestion-text").inner_text()

    # An error comes back beside the composer with the typed text still in it.
    too_long = "x" * 100_001
    composer.fill(too_long)
    page.click("#send")
    expect(page.locator("#form-error")).to_contain_text("at most 100,000 characters")
    assert page.locator("#reply-text").input_value() == too_long

    page.locator("#reply-text").fill("We are on it, Cara: the carrier is tracing 55512345.")
    page.locator("#send").dblclick()
    page.wait_for_url(f"**/conversations/{cid}#composer")
    expect(page.locator("#timeline .turn.agent")).to_have_count(1)
    assert _replies(sqlite_env) == 1
    assert page.locator("#reply-text").input_value() == ""  # cleared, not refilled
    assert "pending" in page.locator("#conversation-status").inner_text()

    page.fill("#notes textarea[name=text]", "Carrier ticket 7781 opened.")
    page.click("#notes button[type=submit]")
    expect(page.locator("#timeline .turn.note")).to_contain_text("Carrier ticket 7781 opened.")

    page.select_option("#controls select[name=status]", "solved")
    page.fill("#controls input[name=tags]", "carrier, late")
    page.click("#controls button[type=submit]")
    expect(page.locator("#conversation-status")).to_have_text("solved")
    events = page.locator("#timeline .event").all_inner_texts()
    assert any("status pending → solved" in e and agent.email in e for e in events)
    assert any("+carrier" in e for e in events)
    page.fill("#controls input[name=tags]", "banana!")
    page.click("#controls button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("tags")
    screenshot(page, "conversation")

    # Back in the list, e closes the selected conversation.
    page.goto("/conversations")
    expect(rows).to_have_count(1)
    page.keyboard.press("j")
    page.keyboard.press("e")
    page.wait_for_url("**/conversations/*")
    detail = httpx.get(f"{live_server.url}/api/conversations/{other}", headers=agent.headers)
    assert detail.json()["status"] == "closed"

    # Ctrl+Enter sends from the composer.
    page.goto(f"/conversations/{cid}")
    page.locator("#reply-text").fill("One more thing: the refund is on its way.")
    page.locator("#reply-text").press("Control+Enter")
    expect(page.locator("#timeline .turn.agent")).to_have_count(2)
    assert _replies(sqlite_env) == 2
    assert page.errors == []
