"""Migrations build the whole schema, go down cleanly, and match the ORM models."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from smartinbox.config import Settings
from smartinbox.migrations import runner
from smartinbox.models import Base
from tests.conftest import PG_URL, require

EXPECTED_TABLES = {
    "customers",
    "messages",
    "analyses",
    "ai_replies",
    "agent_replies",
    "feedback",
    "users",
    "api_tokens",
    "ai_assistant_versions",
    "training_prompts",
    "training_examples",
    "feedback_replay_log",
    "ai_reply_improvements",
    "ai_stress_test_log",
    "stress_test_runs",
    "fine_tune_jobs",
    "message_events",
    "label_corrections",
    "reply_macros",
    "harness_runs",
    "harness_cases",
}


def _roundtrip(url: str) -> None:
    settings = Settings(database_url=url)
    runner.upgrade(settings)
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert tables >= EXPECTED_TABLES
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    runner.downgrade(settings, "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    runner.upgrade(settings)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= EXPECTED_TABLES
    engine.dispose()


def test_sqlite_up_down_up(tmp_path: Path) -> None:
    _roundtrip(f"sqlite:///{tmp_path / 'm.db'}")


def test_sqlite_is_wal_with_foreign_keys(tmp_path: Path) -> None:
    from smartinbox.db import make_engine

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}")
    engine = make_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


@pytest.mark.postgres
def test_postgres_up_down_up() -> None:
    require("postgres")
    name = f"smartinbox_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _roundtrip(PG_URL.rsplit("/", 1)[0] + "/" + name)
    finally:
        from smartinbox.db import reset_engines

        reset_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
