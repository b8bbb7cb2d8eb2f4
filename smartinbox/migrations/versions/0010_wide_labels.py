"""label columns hold 200 characters: a team's topic and kind names of any reasonable length

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-05 18:20:00

PostgreSQL widens the columns in place. SQLite does not enforce a VARCHAR length (every such
column has TEXT affinity), so only the declared type in the stored schema changes; rebuilding
the tables instead would drop the analytics triggers on `messages` and `analyses` (0003) and,
with foreign keys on, cascade the drop of `messages` to its rows' dependants. Downgrading
cuts longer labels to the old length on PostgreSQL.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDE = 200
# table: (column, length before this revision, nullable)
COLUMNS: dict[str, list[tuple[str, int, bool]]] = {
    "messages": [("label_kind", 32, True), ("label_topic", 64, True)],
    "analyses": [("kind", 32, False), ("topic", 64, False)],
    "label_corrections": [("old_value", 64, True), ("value", 64, False)],
    "analytics_daily": [("kind", 32, True), ("topic", 64, True)],
    "analytics_hourly": [("topic", 64, True)],
    "analytics_rejections": [("topic", 64, True)],
    "analytics_escalations": [("topic", 64, True)],
    "ai_stress_test_log": [("topic", 64, True)],
    "harness_cases": [("kind", 32, False), ("topic", 64, True)],
    "feedback_replay_log": [("topic", 64, True)],
    "memory_vectors": [("topic", 64, False)],
    "reply_macros": [("topic", 64, True)],
}


def upgrade() -> None:
    _resize(wide=True)


def downgrade() -> None:
    _resize(wide=False)


def _resize(wide: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_declared_types(bind, wide)
        return
    for table, columns in COLUMNS.items():
        for column, old, nullable in columns:
            new, before = (WIDE, old) if wide else (old, WIDE)
            op.alter_column(
                table,
                column,
                type_=sa.String(length=new),
                existing_type=sa.String(length=before),
                existing_nullable=nullable,
                postgresql_using=None if wide else f"left({column}, {old})",
            )


def _sqlite_declared_types(bind: sa.engine.Connection, wide: bool) -> None:
    """Change the declared VARCHAR length in SQLite's stored schema (the documented
    writable_schema procedure for changes that leave the stored rows' format as it is)."""
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar() or 0)
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    try:
        for table, columns in COLUMNS.items():
            sql = bind.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).scalar()
            if sql is None:
                raise RuntimeError(f"table {table} is missing")
            for column, old, _nullable in columns:
                new, before = (WIDE, old) if wide else (old, WIDE)
                pattern = re.compile(rf'(?P<name>[\s,(]"?{column}"?\s+)VARCHAR\({before}\)')
                sql, count = pattern.subn(rf"\g<name>VARCHAR({new})", str(sql), count=1)
                if count != 1:
                    raise RuntimeError(f"{table}.{column} is not VARCHAR({before})")
            bind.exec_driver_sql(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table)
            )
        bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    problem = bind.exec_driver_sql("PRAGMA integrity_check").scalar()
    if problem != "ok":
        raise RuntimeError(f"SQLite integrity check after changing label columns: {problem}")
