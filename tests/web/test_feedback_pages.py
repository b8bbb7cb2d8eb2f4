"""The learning loop's pages in real Chromium: rating, replay side by side, improve, explain, exports."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import Actor, Env
from tests.web.conftest import LiveServer, login, screenshot

pytestmark = pytest.mark.browser

QUESTION = "I was charged twice for order 8812! Please refund the extra 49.90 now."
CORRECTION = "I'm sorry about the double charge on order 8812. I refunded the extra 49.90 today."


def _message(server: LiveServer, actor: Actor) -> int:
    r = httpx.post(
        server.url + "/api/messages",
        json={
            "channel": "web",
            "external_id": "fb-1",
            "subject": "Charged twice",
            "body": QUESTION,
        },
        headers=actor.headers,
    )
    assert r.status_code == 201, r.text
    mid = int(r.json()["id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if httpx.get(f"{server.url}/api/messages/{mid}", headers=actor.headers).json()[
            "suggestion"
        ]:
            return mid
        time.sleep(0.2)
    pytest.fail("no suggestion from the embedded worker")


def test_rate_reply_replay_improve_explain_export(
    sqlite_env: Env, live_server: LiveServer, page, admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    mid = _message(live_server, admin)
    login(page, admin)
    page.goto(f"/messages/{mid}")
    page.click("#why-button")  # "Why this reply?": the local rules over the recorded evidence
    expect(page.locator("#why-text")).to_contain_text("similarity")
    expect(page.locator(f"#why-{mid} .provenance")).to_contain_text("local")
    rating = page.locator("#rating")
    expect(rating).to_contain_text("Was this useful?")
    page.fill("#rating input[name=notes]", "Ignores the double charge")
    page.click("#rating button[value=no]")
    expect(page.locator("#rating-status")).to_contain_text("You rated this not useful")
    expect(page.locator("#rating button[value=no]")).to_have_attribute("aria-pressed", "true")
    page.select_option("#rating select[name=score]", "2")
    page.click("#rating button[value=no]")  # a re-rating replaces the first one, history kept
    expect(page.locator("#rating-status")).to_contain_text("2/5 · changed 1 time")
    screenshot(page, "feedback-rating")

    page.fill("textarea[name=text]", CORRECTION)
    page.click("#reply button[type=submit]")
    page.wait_for_url(f"**/messages/{mid}")

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the reply is captured by a job of the embedded worker
        rows = httpx.get(
            live_server.url + "/api/feedback-replay?feedback=no", headers=admin.headers
        ).json()
        if rows["total"] and rows["items"][0]["agent_reply"]:
            break
        time.sleep(0.2)
    page.click("nav >> text=Replay")
    page.select_option("select[name=feedback]", "no")
    page.click(".filters button[type=submit]")
    card = page.locator("article.replay").first
    sides = card.locator(".side-by-side").first.locator("section")
    expect(sides).to_have_count(3)
    expect(sides.nth(0)).to_contain_text(QUESTION)
    expect(sides.nth(2)).to_contain_text(CORRECTION)
    expect(card.locator(".badge.bad")).to_contain_text("not useful")

    card.locator("text=Generate improved reply").click()
    expect(card.locator("pre.improved")).to_have_text(CORRECTION)
    card.locator("text=Explain why it failed").click()
    why = card.locator("pre.why")
    expect(why).to_contain_text("Missing specifics")
    expect(why).to_contain_text("49.90")  # the amount the agent gave and the AI reply lacked
    screenshot(page, "feedback-replay")
    page.reload()  # stored, not recomputed: still there, and the button is gone
    expect(page.locator("article.replay pre.why").first).to_contain_text("49.90")
    assert page.locator("text=Explain why it failed").count() == 0

    page.click("nav >> text=Exports")
    page.click("#export-training button[type=submit]")  # one example: below the minimum
    expect(page.locator("[role=alert]")).to_contain_text("fine-tuning needs at least 10")
    screenshot(page, "feedback-exports")
    page.goto("/exports")
    with page.expect_download() as info:
        page.click("#export-feedback button[type=submit]")
    download = info.value
    assert download.suggested_filename.startswith(
        "feedback-"
    ) and download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert "8812" in text and CORRECTION in text
    assert page.errors == []
