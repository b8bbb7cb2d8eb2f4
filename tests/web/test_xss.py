"""Stored XSS: 100+ payloads as customer text, shown on every page that displays it, in Chromium.

The browser context bypasses the Content-Security-Policy on purpose, so that escaping alone
must stop every payload; the CSP header itself is checked separately.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Actor, Env
from tests.web.conftest import LiveServer, login

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "xss_payloads.txt"
INJECTED = (
    "main script, main iframe, main object, main embed, main svg, main img, main video, "
    "main audio, main marquee, main math, main base, main meta, main style, main form[action^='javascript'], "
    "main [onerror], main [onload], main [onfocus], main [ontoggle], main [onstart], main [onbegin], "
    "main a[href^='javascript'], main a[href^='JaVaScRiPt'], main [hx-on\\:htmx\\:load]"
)


def payloads() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line and not line.startswith("# ")]


def test_corpus_is_large_enough() -> None:
    assert len(payloads()) >= 100


def test_no_payload_runs_or_injects_markup(
    sqlite_env: Env, live_server: LiveServer, browser, agent: Actor
) -> None:  # type: ignore[no-untyped-def]
    items = payloads()
    batch = [
        {
            "channel": "web",
            "external_id": f"xss-{i}",
            "subject": p[:998],
            "body": f"{p}\nWhere is my order?",
            "customer": {"email": f"xss{i}@example.com", "name": p[:200]},
        }
        for i, p in enumerate(items)
    ]
    r = httpx.post(
        live_server.url + "/api/messages/batch",
        json={"messages": batch},
        headers=agent.headers,
        timeout=60,
    )
    assert r.status_code == 201, r.text
    ids = [item["id"] for item in r.json()["items"]]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pending = httpx.get(
            live_server.url + "/api/messages?page_size=1&status=new", headers=agent.headers
        ).json()["total"]
        if pending == 0:
            break
        time.sleep(0.5)

    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    executed: list[str] = []
    page.on("dialog", lambda d: (executed.append(f"dialog {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: executed.append(f"error {e}"))
    login(page, agent)

    visited = 0
    urls = [f"/inbox?page={n}" for n in range(1, len(items) // 50 + 2)]
    urls += ["/inbox?snoozed=true", "/inbox?q=script"] + [f"/messages/{mid}" for mid in ids]
    for url in urls:
        page.goto(url)
        visited += 1
        injected = page.locator(INJECTED).count()
        flags = page.evaluate("[typeof window.__xss, document.title]")
        assert injected == 0, f"{url}: {injected} injected element(s)"
        assert flags[0] == "undefined" and "pwned" not in flags[1], f"{url}: {flags}"
    context.close()
    assert visited == len(urls) and visited > len(items)
    assert executed == []


def test_pages_send_a_csp_that_forbids_inline_scripts(
    sqlite_env: Env, live_server: LiveServer
) -> None:
    for path in ("/login", "/healthz"):
        csp = httpx.get(live_server.url + path).headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        )
