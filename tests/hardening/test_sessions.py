"""Finding 3: UI sessions end at once on logout, a new password, deactivation and "sign out
everywhere"; a replayed cookie and its old CSRF token are refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox.cli import app as cli_app
from smartinbox.models import User, UserSession
from tests.conftest import Actor, Env

BODY = {"channel": "web", "external_id": "s1", "body": "hello"}


def _login(client: TestClient, actor: Actor) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = client.post(
        "/login",
        data={"email": actor.email, "password": actor.password, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/inbox").text)
    assert token
    return token.group(1)


def _replay_is_refused(client: TestClient, cookie: str, csrf: str) -> None:
    client.cookies.clear()
    client.cookies.set("smartinbox_session", cookie)
    page = client.get("/inbox", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    client.cookies.set("smartinbox_session", cookie)
    r = client.post("/api/messages", json=BODY, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 401, r.text


def test_cookie_carries_only_a_session_id(env: Env, client: TestClient, agent: Actor) -> None:
    _login(client, agent)
    with env.session() as s:
        rows = s.scalars(select(UserSession)).all()
        assert len(rows) == 1 and rows[0].ended_at is None
        # Only a digest of the id is stored: the cookie's value is not in the table.
        assert client.cookies["smartinbox_session"] not in rows[0].token_hash


def test_logout_ends_the_session_server_side(env: Env, client: TestClient, agent: Actor) -> None:
    csrf = _login(client, agent)
    cookie = client.cookies["smartinbox_session"]
    assert client.post("/api/messages", json=BODY, headers={"X-CSRF-Token": csrf}).status_code in (
        200,
        201,
    )
    r = client.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    _replay_is_refused(client, cookie, csrf)


@pytest.mark.parametrize(
    "verb", [["users", "set-password", "--password", "another long pw"], ["users", "sign-out"]]
)
def test_cli_password_change_and_sign_out_end_sessions(
    env: Env, client: TestClient, agent: Actor, verb: list[str]
) -> None:
    csrf = _login(client, agent)
    cookie = client.cookies["smartinbox_session"]
    args = [*verb[:2], agent.email, *verb[2:]]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    _replay_is_refused(client, cookie, csrf)


def test_deactivated_user_cannot_log_in_or_use_tokens(
    env: Env, client: TestClient, agent: Actor
) -> None:
    csrf = _login(client, agent)
    cookie = client.cookies["smartinbox_session"]
    result = CliRunner().invoke(cli_app, ["users", "deactivate", agent.email])
    assert result.exit_code == 0, result.output
    _replay_is_refused(client, cookie, csrf)
    client.cookies.clear()
    assert client.get("/api/messages", headers=agent.headers).status_code == 401
    page = client.get("/login")
    login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert login_csrf
    r = client.post(
        "/login",
        data={"email": agent.email, "password": agent.password, "csrf_token": login_csrf.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 401
    assert CliRunner().invoke(cli_app, ["users", "activate", agent.email]).exit_code == 0
    assert client.get("/api/messages", headers=agent.headers).status_code == 200


def test_admin_signs_a_user_out_everywhere_over_the_api(
    env: Env, client: TestClient, agent: Actor, admin: Actor
) -> None:
    csrf = _login(client, agent)
    cookie = client.cookies["smartinbox_session"]
    client.cookies.clear()
    with env.session() as s:
        agent_id = s.scalar(select(User.id).where(User.email == agent.email))
    forbidden = client.post(f"/api/users/{agent_id}/sign-out", headers=agent.headers)
    assert forbidden.status_code == 403
    r = client.post(f"/api/users/{agent_id}/sign-out", headers=admin.headers)
    assert r.status_code == 200 and r.json()["sessions_ended"] == 1, r.text
    _replay_is_refused(client, cookie, csrf)
    too_big = client.post(f"/api/users/{2**63}/deactivate", headers=admin.headers)
    assert too_big.status_code == 422


@pytest.mark.parametrize("days", ["0", "-1", "100000"])
def test_token_lifetime_must_be_sane(env: Env, agent: Actor, days: str) -> None:
    result = CliRunner().invoke(
        cli_app, ["tokens", "create", agent.email, "--expires-in-days", days]
    )
    assert result.exit_code != 0
    assert "expires_in_days" in result.output


def test_a_new_login_forgets_the_users_ended_sessions(
    env: Env, client: TestClient, agent: Actor
) -> None:
    csrf = _login(client, agent)
    client.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    _login(client, agent)
    with env.session() as s:
        rows = s.scalars(select(UserSession)).all()
        assert [r.ended_at for r in rows] == [None]
