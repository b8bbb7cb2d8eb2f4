"""Alembic environment: the database URL comes from Settings (or the caller's connection)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from smartinbox.config import get_settings
from smartinbox.db import make_engine
from smartinbox.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(get_settings().model_copy(update={"database_url": url}))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():  # pragma: no cover - offline SQL generation is not supported
    raise SystemExit("offline migrations are not supported; run `smartinbox db upgrade`")
run_migrations_online()
