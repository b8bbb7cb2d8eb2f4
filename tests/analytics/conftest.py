from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from smartinbox import config
from smartinbox.analytics.tasks import run_rebuild
from tests.analytics.fixture import World, build
from tests.conftest import Env

PERIOD = {"start": "2025-01-06", "end": "2025-01-12"}


def use_timezone(env: Env, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Switch the team timezone of this test's settings (the app reads them per request)."""
    monkeypatch.setenv("SMARTINBOX_TEAM_TIMEZONE", name)
    config.get_settings.cache_clear()
    env.settings = config.get_settings()


@pytest.fixture
def world(current_env: Env, monkeypatch: pytest.MonkeyPatch) -> World:
    """The hand-computed week, with New York as team time and roll-ups built."""
    use_timezone(current_env, monkeypatch, "America/New_York")
    with current_env.session() as session:
        w = build(session)
    run_rebuild(current_env.settings)
    return w


@pytest.fixture
def get(world: World, client: Any, agent: Any) -> Callable[..., Any]:
    def fetch(path: str, **params: Any) -> Any:
        response = client.get(path, params={**PERIOD, **params}, headers=agent.headers)
        assert response.status_code == 200, response.text
        return response.json()

    return fetch
