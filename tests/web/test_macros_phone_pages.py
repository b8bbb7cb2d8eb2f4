"""In real Chromium: an admin writes a macro on the Macros page, inserts it from the composer
with its placeholders filled, sends it (the macro solves the conversation), and the customer
rates through the link without logging in. Then the inbox, the conversations list and the
conversation page at phone size (390 x 844): no horizontal scroll, Log out reachable."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import Actor, Env
from tests.web.conftest import LiveServer, login

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# Every run keeps its screenshots in test-artifacts/; SMARTINBOX_UPDATE_SCREENSHOTS=1 refreshes
# the ones the docs show (docs/screenshots/), so a plain test run leaves the checkout unchanged.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("SMARTINBOX_UPDATE_SCREENSHOTS") == "1"
    else ROOT / "test-artifacts" / "screenshots"
)


def _conversation(server: LiveServer, actor: Actor) -> int:
    r = httpx.post(
        server.url + "/api/messages",
        json={
            "channel": "chat",
            "external_id": "p1",
            "subject": "Where is my parcel? It should have arrived on Monday already",
            "body": "Hi, order #A-20931 has not arrived yet. Could you check with the carrier?",
            "conversation_key": "phone-1",
            "customer": {"email": "cara.longname-example@example.com", "name": "Cara Jones"},
        },
        headers=actor.headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["conversation_id"])


def _no_horizontal_scroll(page, name: str) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name}: the page is {width} px wide in a 390 px screen"
    logout = page.locator(".logout button")
    expect(logout).to_be_visible()
    box = logout.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"))


def test_macro_from_composer_solves_and_customer_rates(
    sqlite_env: Env, live_server: LiveServer, page, browser, admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    cid = _conversation(live_server, admin)
    login(page, admin)
    page.goto("/macros")
    page.fill("#new-macro input[name=title]", "Tracing with the carrier")
    page.fill(
        "#new-macro textarea[name=body]",
        "Hi {customer_name}, we asked the carrier to trace order {order_number}.",
    )
    page.select_option("#new-macro select[name=set_status]", "solved")
    page.fill("#new-macro input[name=tags]", "shipping")
    page.click("#new-macro button[type=submit]")
    expect(page.locator("#macros .macro-summary")).to_have_text(
        "Tracing with the carrier · then status solved · tags shipping"
    )

    page.goto(f"/conversations/{cid}")
    page.select_option("#macro-select", label="Tracing with the carrier")
    page.click("#insert-macro")
    composer = page.locator("#reply-text")
    expect(composer).to_have_value("Hi Cara, we asked the carrier to trace order A-20931.")
    page.click("#send")
    page.wait_for_url(f"**/conversations/{cid}#composer")
    expect(page.locator("#conversation-status")).to_have_text("solved")
    reply = page.locator("#timeline .turn.agent").first
    expect(reply).to_contain_text("from a macro")
    link = re.search(r"http://localhost:8000(/csat/\S+)", reply.inner_text())
    assert link, reply.inner_text()

    customer = browser.new_context(base_url=live_server.url)
    try:
        rating = customer.new_page()
        rating.goto(link.group(1))
        rating.check("input[name=rating][value='5']")
        rating.fill("textarea[name=comment]", "Fast and friendly")
        rating.click("#csat-form button[type=submit]")
        expect(rating.locator("#csat-thanks")).to_contain_text("5 out of 5")
    finally:
        customer.close()
    page.reload()
    expect(page.locator("#csat-ratings")).to_contain_text("Fast and friendly")
    assert page.errors == []  # type: ignore[attr-defined]


def test_phone_layout_has_no_horizontal_scroll(
    sqlite_env: Env, live_server: LiveServer, browser, agent: Actor
) -> None:  # type: ignore[no-untyped-def]
    cid = _conversation(live_server, agent)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    try:
        page = context.new_page()
        login(page, agent)
        _no_horizontal_scroll(page, "inbox")
        page.goto("/conversations")
        _no_horizontal_scroll(page, "conversations")
        page.goto(f"/conversations/{cid}")
        _no_horizontal_scroll(page, "conversation")
        page.locator("#reply-text").scroll_into_view_if_needed()
        box = page.locator("#reply-text").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
        page.locator("#reply-text").fill("On it, Cara.")
        page.click("#send")
        page.wait_for_url(f"**/conversations/{cid}#composer")
        expect(page.locator("#timeline .turn.agent")).to_have_count(1)
        page.locator(".logout button").click()
        page.wait_for_url("**/login**")
    finally:
        context.close()
