"""The authorization matrix, session expiry, and secrets kept out of logs.

Every route the app serves is called with no credentials, an expired token, a revoked token,
an agent's token and an admin's token. Routes that change exports, retraining (versions),
settings or users are admin-only and must answer 403 to an agent; a new route whose path
names one of those and is not listed here fails the test until it is classified.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import itsdangerous.timed
import pytest
from fastapi.testclient import TestClient

from smartinbox import config, db
from smartinbox.auth import service as auth_service
from smartinbox.kit.timeutil import utcnow
from smartinbox.logging_setup import JsonFormatter
from tests.conftest import Actor, Env, create_actor, drain
from tests.test_auth import PUBLIC, _api_routes, _login

ADMIN_ONLY = {
    ("GET", "/api/exports/training"),
    ("GET", "/api/exports/feedback"),
    ("POST", "/api/retrain"),
    ("GET", "/exports"),
    ("GET", "/exports/download"),
    ("PATCH", "/api/versions/1"),
    ("POST", "/api/versions/1/copy"),
    ("POST", "/api/versions/1/freeze"),
    ("POST", "/api/versions/1/promote"),
    ("POST", "/api/versions/rollback"),
    ("POST", "/versions/1/freeze"),
    ("POST", "/versions/1/copy"),
    ("POST", "/versions/1/promote"),
    ("POST", "/versions/1/edit"),
    ("POST", "/versions/rollback"),
    ("POST", "/api/stress-tests"),  # runs both versions over up to thousands of messages
    ("POST", "/api/users/1/sign-out"),
    ("POST", "/api/users/1/deactivate"),
    ("POST", "/api/users/1/activate"),
    # The reply memory: any agent may read it and approve another agent's reply; only admins
    # edit or remove a reply or use the review page.
    ("PUT", "/api/memory/1"),
    ("DELETE", "/api/memory/1"),
    ("GET", "/memory"),
    ("POST", "/memory/1/approve"),
    ("POST", "/memory/1/edit"),
    ("POST", "/memory/1/remove"),
    ("GET", "/api/users"),
    ("POST", "/api/users"),
    ("PATCH", "/api/users/1"),
    ("POST", "/api/users/1/revoke-tokens"),
    ("GET", "/users"),
    ("POST", "/users"),
    ("POST", "/users/1"),
    ("POST", "/api/macros"),
    ("PATCH", "/api/macros/1"),
    ("DELETE", "/api/macros/1"),
    ("POST", "/macros"),
    ("POST", "/macros/1/update"),
    ("POST", "/macros/1/delete"),
}
# Agents may see which assistant versions exist and how they compare; only admins change them.
AGENT_READABLE = {
    ("GET", "/api/versions"),
    ("GET", "/api/versions/diff"),
    ("GET", "/api/versions/stats"),
    ("GET", "/api/versions/1"),
    ("GET", "/versions"),
    ("GET", "/versions/compare"),
}
# Words that mark a route as changing who may do what, what the assistant runs, or data exports.
PRIVILEGED = re.compile(r"export|retrain|version|setting|user|token|admin|config")
SAFE = {"GET", "HEAD", "OPTIONS"}


def _matrix_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for route in _api_routes(app.routes):
        if route.path in PUBLIC:
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        out.extend((method, path) for method in sorted(route.methods) if method != "HEAD")
    return out


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    r = client.request(
        method,
        path,
        json={},
        headers={"accept": "application/json", **headers},
        follow_redirects=False,
    )
    return r.status_code


def _token_for(env: Env, email: str, *, expired: bool = False, revoked: bool = False) -> str:
    with env.session() as s:
        token, raw = auth_service.create_token(s, email)
        if expired:
            token.expires_at = utcnow() - timedelta(seconds=1)
        if revoked:
            token.revoked_at = utcnow()
    return raw


def test_authorization_matrix(env: Env, app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    agent = create_actor(env, "agent@example.com", "agent")
    admin = create_actor(env, "admin@example.com", "admin")
    client.post(
        "/api/messages",
        json={"channel": "api", "external_id": "m1", "body": "Where is my order?"},
        headers=admin.headers,
    )
    expired = _token_for(env, admin.email, expired=True)
    revoked = _token_for(env, admin.email, revoked=True)
    routes = _matrix_routes(app)
    assert len(routes) >= 20
    classified = ADMIN_ONLY | AGENT_READABLE
    unlisted = [r for r in routes if PRIVILEGED.search(r[1]) and r not in classified]
    assert not unlisted, f"classify these routes in ADMIN_ONLY or AGENT_READABLE: {unlisted}"

    seen: dict[str, dict[str, int]] = {}
    problems = []
    for method, path in routes:
        row = {
            "none": _call(client, method, path, {}),
            "expired": _call(client, method, path, {"Authorization": f"Bearer {expired}"}),
            "revoked": _call(client, method, path, {"Authorization": f"Bearer {revoked}"}),
            "agent": _call(client, method, path, agent.headers),
            "admin": _call(client, method, path, admin.headers),
        }
        seen[f"{method} {path}"] = row
        if path.endswith("/deactivate"):  # user 1 is the agent: let it act on the next routes
            with env.session() as s:
                auth_service.set_active(s, auth_service.user_by_id(s, 1), True)
        if path.endswith("/revoke-tokens"):  # the admin revoked user 1's (the agent's) tokens
            agent = Actor(agent.email, _token_for(env, agent.email), agent.password)
        for who in ("none", "expired", "revoked"):
            if row[who] != 401:
                problems.append(f"{method} {path} as {who}: {row[who]} (want 401)")
        if (method, path) in ADMIN_ONLY and row["agent"] != 403:
            problems.append(f"{method} {path} as agent: {row['agent']} (want 403)")
        for who in ("agent", "admin"):
            if row[who] in (401, 403) and not (who == "agent" and (method, path) in ADMIN_ONLY):
                problems.append(f"{method} {path} as {who}: {row[who]}")
            if row[who] >= 500:
                problems.append(f"{method} {path} as {who}: {row[who]}")
    print(
        json.dumps({"authz_matrix": env.backend, "routes": len(routes), "calls": 5 * len(routes)})
    )
    assert not problems, "\n".join(problems) + "\n" + json.dumps(seen, indent=1)


def test_agent_cannot_use_admin_pages_with_a_session(
    env: Env, client: TestClient, agent: Actor
) -> None:
    _login(client, agent)
    for path in ("/exports", "/exports/download?kind=feedback&fmt=csv", "/api/exports/feedback"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 403, f"{path}: {r.status_code}"


@pytest.fixture
def short_sessions(env: Env) -> Iterator[Env]:
    env.settings = env.settings.model_copy(update={"session_max_age_s": 60})
    yield env


def test_login_sessions_expire(
    short_sessions: Env, monkeypatch: pytest.MonkeyPatch, agent: Actor
) -> None:
    from smartinbox.app import create_app

    with TestClient(create_app(short_sessions.settings)) as client:
        _login(client, agent)
        r = client.get("/api/messages")
        assert r.status_code == 200
        cookie = r.headers.get("set-cookie", "") or ""
        assert "max-age=60" in cookie.lower() or client.cookies.get("smartinbox_session")
        real = itsdangerous.timed.TimestampSigner.get_timestamp
        monkeypatch.setattr(
            itsdangerous.timed.TimestampSigner,
            "get_timestamp",
            lambda self: real(self) + 61,
        )
        assert client.get("/api/messages").status_code == 401
        page = client.get("/inbox", headers={"accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


SECRET_API_KEY = "sk-test-LEAKCHECK-0123456789abcdef"
SECRET_SMTP = "smtp-LEAKCHECK-pass"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_secrets_never_appear_in_logs(
    env: Env, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from smartinbox.app import create_app

    # OpenAI-style settings in force: the fine-tuning key, a base URL on a closed loopback port.
    monkeypatch.setenv("SMARTINBOX_FINETUNE_API_KEY", SECRET_API_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_API_KEY)
    monkeypatch.setenv("SMARTINBOX_FINETUNE_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SMARTINBOX_SMTP_PASSWORD", SECRET_SMTP)
    monkeypatch.setenv("SMARTINBOX_LOG_LEVEL", "DEBUG")
    config.get_settings.cache_clear()
    db.reset_engines()
    settings = config.get_settings()
    admin = create_actor(env, "admin@example.com", "admin")
    capture = _Capture()
    with TestClient(create_app(settings)) as client:
        root = logging.getLogger()
        root.addHandler(capture)
        root.setLevel(logging.DEBUG)
        try:
            # a failed then a good login, session use, token use, a retraining on the OpenAI API
            page = client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf
            form = {"email": admin.email, "csrf_token": csrf.group(1)}
            client.post("/login", data={**form, "password": admin.password + "x"})
            client.post("/login", data={**form, "password": admin.password})
            client.get("/inbox")
            client.get("/api/messages", headers=admin.headers)
            client.get("/api/messages", headers={"Authorization": f"Bearer {admin.token}x"})
            client.post(
                "/api/messages",
                json={"channel": "api", "external_id": "s1", "body": "My refund?"},
                headers=admin.headers,
            )
            r = client.post("/api/retrain?provider=openai", headers=admin.headers)
            assert r.status_code == 202, r.text
            started = time.monotonic()
            drain()
            assert time.monotonic() - started < 120
        finally:
            root.removeHandler(capture)
    cli = subprocess.run(
        [sys.executable, "-m", "smartinbox.cli", "config", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    captured = capfd.readouterr()
    text = "\n".join(capture.lines) + captured.out + captured.err + cli.stdout + cli.stderr
    assert len(capture.lines) > 5, "the capture saw the requests"
    for secret in (admin.password, admin.token, SECRET_API_KEY, SECRET_SMTP, settings.secret_key):
        assert secret and secret not in text, f"a secret reached the logs: {secret[:6]}..."
