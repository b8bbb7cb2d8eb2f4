"""Versions, prompt comparison and the stress-test report in real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from smartinbox.evaluation import stress
from tests.conftest import Actor, Env
from tests.versions.helpers import CASES, WRONG, local_version
from tests.web.conftest import LiveServer, login, screenshot

pytestmark = pytest.mark.browser


def test_versions_compare_and_stress_report(
    sqlite_env: Env, live_server: LiveServer, page, admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    local_version(sqlite_env, "v1.1", [(q, WRONG) for q, _ in CASES])
    with sqlite_env.session() as s:
        live, cand = stress.resolve_versions(s, "v1.1")
        items = stress.from_queries([q for q, _ in CASES] + ["<script>alert(1)</script> refund?"])
        run_id = stress.start(s, items, live, cand, {"source": "api"}).id
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
    outliers = page.locator("article.outlier")
    expect(outliers.first).to_contain_text("ORD-77123")
    assert outliers.count() >= len(CASES)
    assert page.locator("script", has_text="alert(1)").count() == 0
    screenshot(page, "stress-test-report")
