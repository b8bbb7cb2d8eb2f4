"""Test fixtures: real databases (SQLite file, PostgreSQL), real queues (SQLite, Redis).

Every test that takes `env` runs once per backend:
* `sqlite`: an SQLite database file migrated with Alembic, and the SQLite job queue;
* `postgres`: PostgreSQL migrated with Alembic, and the Redis job queue.
PostgreSQL and Redis are found at SMARTINBOX_TEST_POSTGRES_URL / SMARTINBOX_TEST_REDIS_URL
(defaults: 127.0.0.1:5432 database `test`, 127.0.0.1:6379/15). When they are not running the
postgres variants are skipped with the reason, unless SMARTINBOX_REQUIRE_SERVICES=1 (CI),
where a missing service fails the run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from smartinbox import config, db, worker
from smartinbox.ai import clear_engines
from smartinbox.config import Settings
from smartinbox.versions import engines as version_engines

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get(
    "SMARTINBOX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("SMARTINBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("SMARTINBOX_REQUIRE_SERVICES") == "1"
# One queue name per test session: two sessions sharing a Redis never take each other's jobs.
QUEUE_NAME = f"smartinbox-test-{uuid.uuid4().hex[:8]}"


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"
    return None


def _redis_problem() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"
    return None


_service_problem: dict[str, str | None] = {}


def service_problem(name: str) -> str | None:
    if name not in _service_problem:
        _service_problem[name] = _postgres_problem() if name == "postgres" else _redis_problem()
    return _service_problem[name]


def require(name: str) -> None:
    problem = service_problem(name)
    if problem:
        if REQUIRE_SERVICES:
            pytest.fail(f"{problem} (SMARTINBOX_REQUIRE_SERVICES=1)")
        pytest.skip(f"{problem}; start it to run the {name} variant of this test")


def _models_key() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "smartinbox" / "ai").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """Local models trained once and reused while the AI code and data are unchanged."""
    from smartinbox.ai.training import ensure_models

    cache = Path(os.environ.get("SMARTINBOX_TEST_MODELS_CACHE", ROOT / "var" / "test-models"))
    target = cache / _models_key()
    ensure_models(target)
    return target


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once; each test gets a copy."""
    from smartinbox.migrations import runner

    path = tmp_path_factory.mktemp("template") / "template.db"
    runner.upgrade(Settings(database_url=f"sqlite:///{path}"))
    db.reset_engines()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this test session, migrated once; truncated per test."""
    require("postgres")
    from smartinbox.migrations import runner

    name = f"smartinbox_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    runner.upgrade(Settings(database_url=url))
    db.reset_engines()
    yield url
    db.reset_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Env:
    backend: str
    settings: Settings
    tmp: Path

    def session(self):  # type: ignore[no-untyped-def]
        return db.session_scope(self.settings)


def _truncate_pg(url: str) -> None:
    from smartinbox.models import Base

    engine = db.get_engine(Settings(database_url=url))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def make_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


def _apply(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """Make every `get_settings()` in the process see these settings."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"SMARTINBOX_{name.upper()}", raising=False)
    for name, value in settings.model_dump(exclude_none=True).items():
        monkeypatch.setenv(f"SMARTINBOX_{name.upper()}", str(value))
    config.get_settings.cache_clear()
    db.reset_engines()
    worker._configured_for = None
    worker.configure_queue(config.get_settings())


def _build_env(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    models_dir: Path,
    sqlite_template: Path,
) -> Env:
    common = {
        "data_dir": tmp_path / "data",
        "models_dir": models_dir,
        "train_on_start": False,
        "log_json": True,
        "environment": "test",
        "secret_key": "test-" + uuid.uuid4().hex,
    }
    if backend == "sqlite":
        db_file = tmp_path / "smartinbox.db"
        shutil.copy(sqlite_template, db_file)
        settings = make_settings(database_url=f"sqlite:///{db_file}", **common)
    else:
        require("postgres")
        require("redis")
        url = request.getfixturevalue("pg_database")
        _truncate_pg(url)
        settings = make_settings(
            database_url=url, queue_url=REDIS_URL, queue_name=QUEUE_NAME, **common
        )
    _apply(monkeypatch, settings)
    worker.huey.flush()
    # Instant learning lives in the loaded engine's memory: each test starts from the trained one.
    clear_engines()
    version_engines.clear()
    return Env(backend, config.get_settings(), tmp_path)


def _teardown_env() -> None:
    try:
        worker.huey.flush()
    finally:
        db.reset_engines()
        config.get_settings.cache_clear()
        worker._configured_for = None
        from smartinbox.conversations.presence import PRESENCE

        PRESENCE.reset()


@pytest.fixture(params=["sqlite", "postgres"])
def env(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    models_dir: Path,
    sqlite_template: Path,
) -> Iterator[Env]:
    """Runs the test on SQLite + SQLite queue, and on PostgreSQL + Redis."""
    yield _build_env(request.param, request, tmp_path, monkeypatch, models_dir, sqlite_template)
    _teardown_env()


@pytest.fixture
def sqlite_env(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    models_dir: Path,
    sqlite_template: Path,
) -> Iterator[Env]:
    """For tests whose subject is not the database (UI, CLI output): SQLite only."""
    yield _build_env("sqlite", request, tmp_path, monkeypatch, models_dir, sqlite_template)
    _teardown_env()


@pytest.fixture
def current_env(request: pytest.FixtureRequest) -> Env:
    """The environment the test asked for: `env` (both backends) or `sqlite_env`."""
    if "sqlite_env" in request.fixturenames:
        return request.getfixturevalue("sqlite_env")  # type: ignore[no-any-return]
    if "env" not in request.fixturenames:
        raise RuntimeError("request the `env` or `sqlite_env` fixture in this test")
    return request.getfixturevalue("env")  # type: ignore[no-any-return]


@pytest.fixture
def app(current_env: Env):  # type: ignore[no-untyped-def]
    from smartinbox.app import create_app

    return create_app(current_env.settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@dataclass
class Actor:
    email: str
    token: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def create_actor(env: Env, email: str, role: str = "agent") -> Actor:
    from smartinbox.auth import service as auth_service

    password = "correct horse battery"
    with env.session() as session:
        auth_service.create_user(session, email, role=role, password=password)
        _token, raw = auth_service.create_token(session, email)
    return Actor(email, raw, password)


@pytest.fixture
def agent(current_env: Env) -> Actor:
    return create_actor(current_env, "agent@example.com", "agent")


@pytest.fixture
def admin(current_env: Env) -> Actor:
    return create_actor(current_env, "admin@example.com", "admin")


def drain() -> int:
    return worker.drain()


@pytest.fixture
def embedded_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the embedding model is asked to read from now on (the model still runs)."""
    texts: list[str] = []
    from smartinbox.ai.embedder import MiniLMEmbedder

    real = MiniLMEmbedder.features

    def counting(self: MiniLMEmbedder, batch: Sequence[str], *args: int) -> Any:
        texts.extend(batch)
        return real(self, batch, *args)

    monkeypatch.setattr(MiniLMEmbedder, "features", counting)
    return texts
