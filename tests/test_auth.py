"""Every endpoint but health requires a token or a login session; CSRF guards UI writes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartinbox.kit.timeutil import utcnow
from smartinbox.models import ApiToken, User
from tests.conftest import Actor, Env

PUBLIC = {
    "/healthz",
    "/readyz",
    "/login",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/",
    "/csat/{token}",  # the customer's rating page: the signed link is the credential
}


def _api_routes(routes):  # type: ignore[no-untyped-def]
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from _api_routes(route.original_router.routes)


def _routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for route in _api_routes(app.routes):
        if route.path not in PUBLIC:
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            for method in route.methods:
                out.append((method, path))
    return out


def test_every_route_requires_authentication(env: Env, app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    routes = _routes(app)
    assert len(routes) >= 8
    for method, path in routes:
        r = client.request(
            method, path, json={}, headers={"accept": "application/json"}, follow_redirects=False
        )
        assert r.status_code == 401, f"{method} {path} answered {r.status_code}"


def test_ui_pages_redirect_to_login(env: Env, client: TestClient) -> None:
    r = client.get("/inbox", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_health_needs_no_auth(env: Env, client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "queue": "ok"}


@pytest.mark.parametrize("token", ["", "si_wrong", "Bearer"])
def test_bad_tokens_are_refused(env: Env, client: TestClient, token: str) -> None:
    r = client.get("/api/messages", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_revoked_and_expired_tokens_are_refused(env: Env, client: TestClient, agent: Actor) -> None:
    assert client.get("/api/messages", headers=agent.headers).status_code == 200
    with env.session() as s:
        token = s.scalars(select(ApiToken)).one()
        token.expires_at = utcnow() - timedelta(seconds=1)
    r = client.get("/api/messages", headers=agent.headers)
    assert r.status_code == 401 and "expired" in r.json()["detail"]["message"]
    with env.session() as s:
        token = s.scalars(select(ApiToken)).one()
        token.expires_at = None
        token.revoked_at = utcnow()
    assert client.get("/api/messages", headers=agent.headers).status_code == 401


def test_tokens_and_passwords_are_stored_hashed(env: Env, agent: Actor) -> None:
    with env.session() as s:
        token = s.scalars(select(ApiToken)).one()
        user = s.scalars(select(User)).one()
        assert agent.token not in (token.token_hash, token.prefix)
        assert user.password_hash and user.password_hash.startswith("$argon2id$")
        assert agent.password not in user.password_hash


def _login(client: TestClient, actor: Actor) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = client.post(
        "/login",
        data={
            "email": actor.email,
            "password": actor.password,
            "csrf_token": csrf.group(1),
            "next": "/inbox",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    inbox = client.get("/inbox")
    token = re.search(r'name="csrf_token" value="([^"]+)"', inbox.text)
    assert token
    return token.group(1)


def test_session_login_and_csrf_on_writes(env: Env, client: TestClient, agent: Actor) -> None:
    csrf = _login(client, agent)
    assert client.get("/api/messages").status_code == 200  # the session works for reads
    body = {"channel": "web", "external_id": "c1", "body": "hello"}
    assert client.post("/api/messages", json=body).status_code == 403  # no CSRF token
    r = client.post("/api/messages", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201


def test_wrong_password_shows_an_error(env: Env, client: TestClient, agent: Actor) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = client.post(
        "/login", data={"email": agent.email, "password": "nope", "csrf_token": csrf.group(1)}
    )
    assert r.status_code == 401 and "wrong e-mail or password" in r.text


def test_login_form_without_csrf_is_refused(env: Env, client: TestClient, agent: Actor) -> None:
    client.get("/login")
    r = client.post(
        "/login", data={"email": agent.email, "password": agent.password}, follow_redirects=False
    )
    assert r.status_code == 403


def test_login_redirect_stays_on_this_site(env: Env, client: TestClient, agent: Actor) -> None:
    page = client.get("/login?next=https://evil.example/")
    assert 'value="/inbox"' in page.text
