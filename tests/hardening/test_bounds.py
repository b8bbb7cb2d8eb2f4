"""Finding 4: numbers past 64 bits in any path or query are a 422, never a 500; and any 500
that still happens carries the security headers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Actor, Env
from tests.test_auth import PUBLIC, _api_routes

HUGE = str(2**63)
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")


def test_every_path_id_past_64_bits_is_a_client_error(
    env: Env, app, client: TestClient, admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for route in _api_routes(app.routes):
        if route.path in PUBLIC or "{" not in route.path:
            continue
        path = re.sub(r"\{[^}]+\}", HUGE, route.path)
        for method in route.methods - {"HEAD"}:
            for accept in ("application/json", "text/html"):
                r = client.request(
                    method,
                    path,
                    json={"field": "topic", "value": "x", "feedback": "yes", "text": "hi"},
                    headers={**admin.headers, "accept": accept},
                    follow_redirects=False,
                )
                assert r.status_code < 500, f"{method} {path} answered {r.status_code}"
                checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/insights", {"version_id": HUGE}),
        ("/api/insights", {"agent_id": HUGE}),
        ("/api/feedback/analytics", {"version_id": HUGE}),
        ("/api/feedback/analytics", {"agent_id": "²"}),
        ("/api/insights/messages", {"metric": "messages", "value": HUGE + "0"}),
        ("/insights", {"version_id": HUGE}),
        ("/feedback/analytics", {"agent_id": HUGE}),
        ("/insights/messages", {"metric": "messages", "value": HUGE}),
        ("/api/exports/training", {"min_not_useful": "1e23"}),
        ("/api/exports/training", {"min_not_useful": HUGE}),
    ],
)
def test_query_numbers_past_64_bits_are_422(
    env: Env, client: TestClient, admin: Actor, path: str, params: dict[str, str]
) -> None:
    r = client.get(path, params=params, headers={**admin.headers, "accept": "application/json"})
    assert r.status_code == 422, r.text
    field = next(iter(params.keys() - {"metric"}))
    if path.startswith("/api/"):
        assert field in r.json()["detail"]["message"]


def test_a_500_carries_the_security_headers(sqlite_env: Env, app, agent: Actor) -> None:  # type: ignore[no-untyped-def]
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/boom", headers=agent.headers)
    assert r.status_code == 500
    assert r.json()["detail"]["code"] == "internal_error"
    for header in SECURITY_HEADERS:
        assert header in r.headers, header
