"""Managing users from the API, the Users page and the CLI: invite with a one-time password,
change role, deactivate (sessions and tokens end), revoke tokens; one active admin always."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox.app import create_app
from smartinbox.cli import app as cli
from smartinbox.models import ApiToken, User
from tests.conftest import Actor, Env


def _login(client: TestClient, email: str, password: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf.group(1), "next": "/inbox"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/inbox").text)
    assert token
    return token.group(1)


def test_invite_role_deactivate_and_revoke_through_the_api(
    env: Env, client: TestClient, admin: Actor, agent: Actor
) -> None:
    assert client.get("/api/users", headers=agent.headers).status_code == 403
    r = client.post(
        "/api/users",
        json={"email": "New.Agent@Example.com", "role": "agent"},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    invited, password = r.json()["user"], r.json()["password"]
    assert invited["email"] == "new.agent@example.com" and len(password) >= 12

    # The invited user signs in with the one-time password.
    with TestClient(create_app(env.settings)) as other:
        _login(other, "new.agent@example.com", password)
        assert other.get("/api/conversations").status_code == 200

        bad = client.post(
            "/api/users", json={"email": "x@example.com", "role": "boss"}, headers=admin.headers
        )
        assert bad.status_code == 422 and "role" in bad.text
        dup = client.post(
            "/api/users", json={"email": "new.agent@example.com"}, headers=admin.headers
        )
        assert dup.status_code == 409 and "email" in dup.text

        promoted = client.patch(
            f"/api/users/{invited['id']}", json={"role": "admin"}, headers=admin.headers
        )
        assert promoted.status_code == 200 and promoted.json()["role"] == "admin"

        # Deactivating ends the user's UI session on its next request.
        off = client.patch(
            f"/api/users/{invited['id']}", json={"active": False}, headers=admin.headers
        )
        assert off.status_code == 200 and off.json()["is_active"] is False
        assert other.get("/api/conversations").status_code == 401

    users = client.get("/api/users", headers=admin.headers).json()
    agent_row = next(u for u in users if u["email"] == agent.email)
    assert agent_row["active_tokens"] == 1
    revoked = client.post(f"/api/users/{agent_row['id']}/revoke-tokens", headers=admin.headers)
    assert revoked.json() == {"revoked": 1}
    assert client.get("/api/conversations", headers=agent.headers).status_code == 401
    with env.session() as s:
        assert all(
            t.revoked_at is not None
            for t in s.scalars(select(ApiToken).where(ApiToken.user_id == agent_row["id"]))
        )

    # The last active admin can neither be demoted nor deactivated.
    me = next(u for u in users if u["email"] == admin.email)
    demote = client.patch(f"/api/users/{me['id']}", json={"role": "agent"}, headers=admin.headers)
    assert demote.status_code == 409 and "admin" in demote.text
    self_off = client.patch(f"/api/users/{me['id']}", json={"active": False}, headers=admin.headers)
    assert self_off.status_code == 409
    missing = client.patch("/api/users/99999", json={"active": False}, headers=admin.headers)
    assert missing.status_code == 404


def test_users_page_invites_and_deactivates(
    sqlite_env: Env, client: TestClient, admin: Actor, agent: Actor
) -> None:
    csrf = _login(client, admin.email, admin.password)
    page = client.get("/users")
    assert page.status_code == 200 and agent.email in page.text
    invited = client.post(
        "/users", data={"email": "page@example.com", "role": "agent", "csrf_token": csrf}
    )
    assert invited.status_code == 201
    secret = re.search(r'id="one-time-password">([^<]+)<', invited.text)
    assert secret and len(secret.group(1)) >= 12
    with sqlite_env.session() as s:
        target = s.scalars(select(User).where(User.email == agent.email)).one().id
    r = client.post(
        f"/users/{target}",
        data={"action": "deactivate", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "deactivated" in client.get("/users").text
    with sqlite_env.session() as s:
        assert s.get(User, target).is_active is False  # type: ignore[union-attr]
    bad = client.post("/users", data={"email": "not-an-email", "csrf_token": csrf})
    assert bad.status_code == 422 and "not a valid e-mail" in bad.text

    # Agents do not see the page.
    with TestClient(create_app(sqlite_env.settings)) as other:
        helper = Actor("second@example.com", "", "correct horse battery")
        runner = CliRunner()
        out = runner.invoke(cli, ["users", "invite", helper.email])
        assert out.exit_code == 0, out.output
        password = out.output.strip().rsplit(" ", 1)[1]
        _login(other, helper.email, password)
        assert other.get("/users").status_code == 403


def test_cli_invite_set_role_and_revoke_tokens(sqlite_env: Env, agent: Actor) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["users", "invite", "cli@example.com", "--role", "admin"])
    assert out.exit_code == 0 and "one-time password:" in out.output
    assert runner.invoke(cli, ["users", "set-role", agent.email, "admin"]).exit_code == 0
    bad = runner.invoke(cli, ["users", "set-role", agent.email, "boss"])
    assert bad.exit_code == 1 and "role must be one of" in bad.output
    revoked = runner.invoke(cli, ["users", "revoke-tokens", agent.email])
    assert revoked.exit_code == 0 and "revoked 1 token" in revoked.output
    missing = runner.invoke(cli, ["users", "revoke-tokens", "nobody@example.com"])
    assert missing.exit_code == 1
    with sqlite_env.session() as s:
        roles = {u.email: u.role for u in s.scalars(select(User))}
    assert roles["cli@example.com"] == "admin" and roles[agent.email] == "admin"


def test_users_page_and_api_sign_a_user_out_everywhere(
    sqlite_env: Env, client: TestClient, admin: Actor, agent: Actor
) -> None:
    """ "Sign out everywhere" ends every UI session of the user at once; their next page load
    asks them to sign in again, while their API token (revoked apart) keeps working."""
    csrf = _login(client, admin.email, admin.password)
    with sqlite_env.session() as s:
        target = s.scalars(select(User).where(User.email == agent.email)).one().id
    app = create_app(sqlite_env.settings)
    with TestClient(app) as laptop, TestClient(app) as phone:
        _login(laptop, agent.email, agent.password)
        _login(phone, agent.email, agent.password)
        assert laptop.get("/inbox", follow_redirects=False).status_code == 200

        page = client.get("/users")
        assert 'value="sign-out"' in page.text and "Sign out everywhere" in page.text
        r = client.post(f"/users/{target}", data={"action": "sign-out", "csrf_token": csrf})
        assert r.status_code == 200 and "Ended 2 session(s)." in r.text

        for device in (laptop, phone):
            gone = device.get("/inbox", follow_redirects=False)
            assert gone.status_code in (303, 401), gone.status_code
            if gone.status_code == 303:
                assert gone.headers["location"].startswith("/login")
        assert client.get("/inbox", follow_redirects=False).status_code == 200  # admin stays

        _login(phone, agent.email, agent.password)
    again = client.post(f"/api/users/{target}/sign-out", headers=admin.headers)
    assert again.status_code == 200 and again.json()["sessions_ended"] == 1
    repeat = client.post(f"/api/users/{target}/sign-out", headers=admin.headers)
    assert repeat.json()["sessions_ended"] == 0
    assert client.get("/api/conversations", headers=agent.headers).status_code == 200
    missing = client.post("/api/users/999999/sign-out", headers=admin.headers)
    assert missing.status_code == 404 and "999999" in missing.text
    refused = client.post(f"/api/users/{target}/sign-out", headers=agent.headers)
    assert refused.status_code == 403
