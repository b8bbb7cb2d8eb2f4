"""/docs renders the API reference in Chromium from the app's own assets, under its CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import Env
from tests.web.conftest import LiveServer, screenshot

pytestmark = pytest.mark.browser


def test_docs_page_renders_swagger_ui_without_csp_violations(
    sqlite_env: Env, live_server: LiveServer, page
) -> None:  # type: ignore[no-untyped-def]
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(live_server.url) or r.url.startswith("data:")
            else outside.append(r.url)
        ),
    )
    response = page.goto("/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible(timeout=20_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/conversations")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("SmartInbox")
    assert operations.count() > 10
    screenshot(page, "api-docs")
    assert outside == []  # nothing fetched from a CDN
    assert page.errors == []  # no CSP refusal, no script error
