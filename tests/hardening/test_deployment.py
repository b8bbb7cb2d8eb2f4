"""Finding 6: proxies, token lifetimes, production secrets and cookies, file modes, NUL in ids,
and JSONL line separators."""

from __future__ import annotations

import json
import re
import stat
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smartinbox.cli import app as cli_app
from smartinbox.cli import server_options
from smartinbox.config import Settings
from smartinbox.feedback.jsonl import json_line
from tests.conftest import Actor, Env
from tests.web.conftest import _free_port


def _serve(settings: Settings) -> tuple[uvicorn.Server, threading.Thread, str]:
    from smartinbox.app import create_app

    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, **server_options(settings)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return server, thread, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _failed_logins(url: str, email: str, tries: int) -> list[int]:
    codes = []
    with httpx.Client(base_url=url) as client:
        for i in range(tries):
            page = client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf
            r = client.post(
                "/login",
                data={"email": email, "password": "wrong password", "csrf_token": csrf.group(1)},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
            codes.append(r.status_code)
    return codes


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_x_forwarded_for_is_believed_only_from_trusted_proxies(
    sqlite_env: Env, agent: Actor, trusted: str
) -> None:
    settings = sqlite_env.settings.model_copy(
        update={"login_max_attempts": 3, "trusted_proxies": trusted}
    )
    server, thread, url = _serve(settings)
    try:
        codes = _failed_logins(url, agent.email, 5)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    if trusted:  # each forwarded address is its own client, as the proxy says
        assert codes == [401] * 5
    else:  # a forged header changes nothing: the fourth try is throttled
        assert codes == [401, 401, 401, 429, 429]


def test_production_refuses_a_short_secret_and_defaults_to_secure_cookies() -> None:
    from smartinbox.app import create_app

    short = Settings(environment="production", secret_key="x")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        create_app(short)
    good = Settings(environment="production", secret_key="k" * 32)
    assert good.resolved_cookie_secure() is True
    assert Settings(environment="development").resolved_cookie_secure() is False
    assert Settings(environment="production", cookie_secure=False).resolved_cookie_secure() is False


def test_production_session_cookie_is_https_only(sqlite_env: Env, agent: Actor) -> None:
    from smartinbox.app import create_app

    settings = sqlite_env.settings.model_copy(
        update={"environment": "production", "secret_key": "p" * 48}
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        page = client.get("/login")
    assert "secure" in page.headers["set-cookie"].lower()


def test_the_sqlite_file_and_its_folder_are_private(
    sqlite_env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file = tmp_path / "fresh" / "private.db"
    monkeypatch.setenv("SMARTINBOX_DATABASE_URL", f"sqlite:///{db_file}")
    from smartinbox import config, db

    config.get_settings.cache_clear()
    db.reset_engines()
    result = CliRunner().invoke(cli_app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(db_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_file.parent.stat().st_mode) == 0o700


def test_nul_in_external_id_is_refused(env: Env, client: TestClient, agent: Actor) -> None:
    body = {"channel": "api", "external_id": "a\u0000b", "body": "hello"}
    r = client.post("/api/messages", json=body, headers=agent.headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["errors"][0]["field"] == "external_id"


def test_jsonl_lines_escape_unicode_line_separators() -> None:
    line = json_line({"prompt": "a\u2028b\u2029c", "reply": "é"})
    assert "\u2028" not in line and "\u2029" not in line
    assert line.count("\n") == 1 and "é" in line
    assert json.loads(line) == {"prompt": "a\u2028b\u2029c", "reply": "é"}
