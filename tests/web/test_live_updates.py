"""Live updates in real Chromium: the conversations list shows a "new messages" bar when a
message arrives while it is open, and a conversation page tells an agent that another agent has
it open, then that they are replying."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import Actor, Env, create_actor
from tests.web.conftest import LiveServer, login

pytestmark = pytest.mark.browser


def _post(server: LiveServer, actor: Actor, ext: str, key: str) -> int:
    r = httpx.post(
        server.url + "/api/messages",
        json={"channel": "chat", "external_id": ext, "body": "Any news?", "conversation_key": key},
        headers=actor.headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["conversation_id"])


def test_new_messages_bar_and_presence_notice(
    sqlite_env: Env, live_server: LiveServer, page, browser, agent: Actor
) -> None:  # type: ignore[no-untyped-def]
    cid = _post(live_server, agent, "l1", "live-1")
    login(page, agent)
    page.goto("/conversations")
    rows = page.locator("#conversation-list tbody tr")
    expect(rows).to_have_count(1)
    expect(page.locator("#new-messages-link")).to_have_count(0)

    _post(live_server, agent, "l2", "live-2")
    bar = page.locator("#new-messages-link")
    expect(bar).to_have_text("New messages in 1 conversation · show", timeout=20_000)
    bar.click()
    expect(rows).to_have_count(2)
    expect(page.locator("#new-messages-link")).to_have_count(0)

    # Another agent opens the same conversation: each sees the other.
    bea = create_actor(sqlite_env, "bea@example.com")
    context = browser.new_context(base_url=live_server.url)
    try:
        other = context.new_page()
        login(other, bea)
        other.goto(f"/conversations/{cid}")
        page.goto(f"/conversations/{cid}")
        expect(page.locator("#presence-notice")).to_have_text(
            "bea@example.com is viewing this conversation.", timeout=20_000
        )
        other.locator("#reply-text").fill("Looking into it")
        expect(page.locator("#presence-notice")).to_have_text(
            "bea@example.com is replying to this conversation.", timeout=20_000
        )
        expect(other.locator("#presence-notice")).to_contain_text(
            "agent@example.com", timeout=20_000
        )
    finally:
        context.close()
    assert page.errors == []  # type: ignore[attr-defined]
