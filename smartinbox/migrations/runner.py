"""Run Alembic migrations from code (CLI, tests, first start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from smartinbox.config import Settings, get_settings
from smartinbox.kit.files import private_file

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(settings: Settings | None = None) -> Config:
    settings = settings or get_settings()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return cfg


def upgrade(settings: Settings | None = None, revision: str = "head") -> None:
    settings = settings or get_settings()
    if settings.is_sqlite and (db_file := settings.sqlite_path()) is not None:
        private_file(db_file)
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(settings), revision)


def current(settings: Settings | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from smartinbox.db import get_engine

    with get_engine(settings).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
