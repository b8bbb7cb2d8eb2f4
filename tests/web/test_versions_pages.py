"""Versions, prompt comparison and the stress-test report in real Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from smartinbox.evaluation import stress
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import FeedbackReplayLog
from tests.conftest import Actor, Env
from tests.versions.helpers import CASES, EARLIER, WRONG, local_version
from tests.web.conftest import LiveServer, login, screenshot

pytestmark = pytest.mark.browser


def test_versions_compare_and_stress_report(
    sqlite_env: Env, live_server: LiveServer, page, admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    local_version(sqlite_env, "v1.1", [(q, WRONG) for q, _ in CASES])
    with sqlite_env.session() as s:
        live, cand = stress.resolve_versions(s, "v1.1")
        items = stress.from_queries([q for q, _ in CASES] + ["<script>alert(1)</script> refund?"])
        # The queries are v1.1's own training messages: allowed here, and marked.
        run_id = stress.start(s, items, live, cand, {"source": "api"}, allow_overlap=True).id
    stress.execute(sqlite_env.settings, run_id)

    login(page, admin)
    page.goto("/versions")
    expect(page.locator("#version-v1\\.0")).to_contain_text("live")
    expect(page.locator("#version-v1\\.1")).to_contain_text("candidate")
    page.locator("#version-v1\\.1 button", has_text="Promote").click()
    expect(page.locator(".notice")).to_contain_text("v1.1 stays a candidate")
    expect(page.locator("#version-v1\\.1")).to_contain_text("refused")
    screenshot(page, "versions-list")

    page.goto("/versions/compare?old=v1.0&new=v1.1")
    added = page.locator("#section-system_prompt .diff-added")
    expect(added.first).to_contain_text("Prompt of v1.1.")
    expect(page.locator("#section-system_prompt .diff-removed")).to_contain_text(
        "support assistant"
    )
    expect(page.locator("table.stats")).to_contain_text("Share rated useful")
    screenshot(page, "versions-compare")
    page.get_by_role("tab", name="Original prompt").click()
    expect(page.locator("#section-system_prompt pre.body")).to_contain_text(
        "customer-support assistant"
    )
    page.get_by_role("tab", name="Retrained prompt").click()
    expect(page.locator("#section-system_prompt pre.body")).to_contain_text("Prompt of v1.1.")

    page.goto(f"/stress-tests/{run_id}")
    expect(page.locator("h1")).to_contain_text("v1.0 vs v1.1")
    expect(page.locator("table.topics")).to_be_visible()
    expect(page.locator("#time-split")).to_contain_text(f"Marked: {len(CASES)} interactions")
    outliers = page.locator("article.outlier")
    expect(outliers.first).to_contain_text("ORD-77123")
    assert outliers.count() >= len(CASES)
    assert page.locator("script", has_text="alert(1)").count() == 0
    screenshot(page, "stress-test-report")


def test_outlier_opens_its_interaction_beyond_the_first_replay_page(
    sqlite_env: Env, live_server: LiveServer, page, admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    question, answer = CASES[0]
    local_version(sqlite_env, "v1.1", [(EARLIER[0], WRONG)])
    with sqlite_env.session() as s:
        live = stress.resolve_versions(s, None)[0]
        old = FeedbackReplayLog(message=question, ai_reply="Thanks for your message.",
                                agent_reply=answer, feedback="no", topic="billing",
                                assistant_version_id=live.id,
                                created_at=utcnow() - timedelta(days=2))  # fmt: skip
        s.add(old)
        # A full replay page of newer interactions pushes the rejected one to page two.
        s.add_all(
            FeedbackReplayLog(message=f"Newer question {n}?", ai_reply="An answer.",
                              agent_reply="Sent.", feedback="yes",
                              created_at=utcnow() - timedelta(hours=1, minutes=n))
            for n in range(sqlite_env.settings.default_page_size + 5)
        )  # fmt: skip
        s.flush()
        replay_id = old.id
        live, cand = stress.resolve_versions(s, "v1.1")
        run_id = stress.start(s, stress.from_replays(s, 30, 10), live, cand, {}).id
    stress.execute(sqlite_env.settings, run_id)

    login(page, admin)
    page.goto("/replay")
    expect(page.locator("article.replay").first).to_be_visible()
    assert page.locator(f"#replay-{replay_id}").count() == 0  # not on the first page

    page.goto(f"/stress-tests/{run_id}")
    outlier = page.locator("article.outlier").first
    expect(outlier).to_contain_text("ORD-77123")
    outlier.locator("a.replay-link").click()
    page.wait_for_url(f"**/replay/{replay_id}")
    card = page.locator(f"#replay-{replay_id}")
    expect(card).to_contain_text(question)
    expect(card.locator("pre.reply.agent")).to_contain_text(answer)
    card.get_by_role("button", name="Generate improved reply").click()
    expect(card.locator("pre.reply.improved")).to_be_visible()
    screenshot(page, "replay-one-interaction")

    page.goto("/replay/999999")
    expect(page.locator("body")).to_contain_text("does not exist")
