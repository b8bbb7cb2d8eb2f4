"""analytics roll-ups and the triggers that mark their out-of-date days

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-24 04:28:03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from smartinbox.models.base import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Source tables whose rows belong to one message; any change may move that day's figures.
CHILD_TABLES = ("analyses", "ai_replies", "agent_replies", "feedback", "message_events")
MESSAGE_COLUMNS = "status, assignee_id, channel, received_at, customer_id"


def _counters(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "analytics_daily",
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("version_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        *_counters("messages", "analysed"),
        sa.Column("urgency_sum", sa.Float(), nullable=False),
        *_counters(
            "ai_suggested",
            "replies_unchanged",
            "replies_edited",
            "replies_replaced",
            "replies_manual",
            "ai_based",
            "escalated",
            "ratings",
            "useful",
        ),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_daily")),
    )
    op.create_index("ix_analytics_daily_grain_day", "analytics_daily", ["grain", "day"])
    op.create_index(
        "ix_analytics_daily_grain_agent_day", "analytics_daily", ["grain", "agent_id", "day"]
    )
    op.create_table(
        "analytics_hourly",
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("analysed", sa.Integer(), nullable=False),
        sa.Column("urgency_sum", sa.Float(), nullable=False),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_hourly")),
    )
    op.create_index("ix_analytics_hourly_grain_day", "analytics_hourly", ["grain", "day"])
    op.create_index(
        "ix_analytics_hourly_grain_topic_day", "analytics_hourly", ["grain", "topic", "day"]
    )
    op.create_table(
        "analytics_rejections",
        sa.Column("message_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("version_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("rejections", sa.Integer(), nullable=False),
        sa.Column("lowest_score", sa.Integer(), nullable=True),
        sa.Column("badness", sa.Integer(), nullable=False),
        sa.Column("last_rejected_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_analytics_rejections")),
    )
    op.create_index(
        "ix_analytics_rejections_day",
        "analytics_rejections",
        ["day", "topic", "channel", "agent_id", "version_id"],
    )
    op.create_index(
        "ix_analytics_rejections_rank",
        "analytics_rejections",
        ["rejections", "badness", "last_rejected_at", "message_id"],
    )
    op.create_table(
        "analytics_escalations",
        sa.Column("message_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("version_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_analytics_escalations")),
    )
    op.create_index("ix_analytics_escalations_day", "analytics_escalations", ["day"])
    op.create_index(
        "ix_analytics_escalations_received_at", "analytics_escalations", ["received_at"]
    )
    op.create_table(
        "analytics_dirty",
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_dirty")),
    )
    op.create_table(
        "analytics_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_analytics_state")),
    )
    op.create_index("ix_messages_customer_received", "messages", ["customer_id", "received_at"])
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    mark = (
        "INSERT INTO analytics_dirty (received_at) SELECT received_at FROM messages WHERE id = {}"
    )
    op.execute(
        "CREATE TRIGGER trg_analytics_messages_ins AFTER INSERT ON messages BEGIN "
        "INSERT INTO analytics_dirty (received_at, customer_id) "
        "VALUES (NEW.received_at, NEW.customer_id); END"
    )
    # customer_id is only passed on when it (or the time) changed: that alone can make an
    # earlier message of the customer count as escalated.
    op.execute(
        f"CREATE TRIGGER trg_analytics_messages_upd AFTER UPDATE OF {MESSAGE_COLUMNS} ON messages "
        "BEGIN INSERT INTO analytics_dirty (received_at) VALUES (OLD.received_at); "
        "INSERT INTO analytics_dirty (received_at, customer_id) VALUES (NEW.received_at, "
        "CASE WHEN NEW.customer_id IS NOT OLD.customer_id OR NEW.received_at <> OLD.received_at "
        "THEN NEW.customer_id END); END"
    )
    op.execute(
        "CREATE TRIGGER trg_analytics_messages_del AFTER DELETE ON messages BEGIN "
        "INSERT INTO analytics_dirty (received_at) VALUES (OLD.received_at); END"
    )
    for table in CHILD_TABLES:
        op.execute(
            f"CREATE TRIGGER trg_analytics_{table}_ins AFTER INSERT ON {table} "
            f"BEGIN {mark.format('NEW.message_id')}; END"
        )
        if table == "message_events":
            continue
        op.execute(
            f"CREATE TRIGGER trg_analytics_{table}_upd AFTER UPDATE ON {table} "
            f"BEGIN {mark.format('OLD.message_id')}; {mark.format('NEW.message_id')}; END"
        )
        op.execute(
            f"CREATE TRIGGER trg_analytics_{table}_del AFTER DELETE ON {table} "
            f"BEGIN {mark.format('OLD.message_id')}; END"
        )


def _postgres_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION analytics_mark_message() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO analytics_dirty (received_at, customer_id)
            VALUES (NEW.received_at, NEW.customer_id);
          ELSIF TG_OP = 'UPDATE' THEN
            INSERT INTO analytics_dirty (received_at) VALUES (OLD.received_at);
            INSERT INTO analytics_dirty (received_at, customer_id) VALUES (
              NEW.received_at,
              CASE WHEN NEW.customer_id IS DISTINCT FROM OLD.customer_id
                     OR NEW.received_at <> OLD.received_at THEN NEW.customer_id END);
          ELSE
            INSERT INTO analytics_dirty (received_at) VALUES (OLD.received_at);
          END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE FUNCTION analytics_mark_child() RETURNS trigger AS $$
        BEGIN
          IF TG_OP <> 'INSERT' THEN
            INSERT INTO analytics_dirty (received_at)
            SELECT received_at FROM messages WHERE id = OLD.message_id;
          END IF;
          IF TG_OP <> 'DELETE' THEN
            INSERT INTO analytics_dirty (received_at)
            SELECT received_at FROM messages WHERE id = NEW.message_id;
          END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER trg_analytics_messages AFTER INSERT OR DELETE OR UPDATE OF "
        f"{MESSAGE_COLUMNS} ON messages FOR EACH ROW EXECUTE FUNCTION analytics_mark_message()"
    )
    for table in CHILD_TABLES:
        events = "INSERT" if table == "message_events" else "INSERT OR UPDATE OR DELETE"
        op.execute(
            f"CREATE TRIGGER trg_analytics_{table} AFTER {events} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION analytics_mark_child()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("messages", *CHILD_TABLES):
            op.execute(f"DROP TRIGGER IF EXISTS trg_analytics_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS analytics_mark_message()")
        op.execute("DROP FUNCTION IF EXISTS analytics_mark_child()")
    else:
        for table in ("messages", *CHILD_TABLES):
            for suffix in ("ins", "upd", "del"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_analytics_{table}_{suffix}")
    op.drop_index("ix_messages_customer_received", table_name="messages")
    op.drop_table("analytics_state")
    op.drop_table("analytics_dirty")
    op.drop_index("ix_analytics_escalations_received_at", table_name="analytics_escalations")
    op.drop_index("ix_analytics_escalations_day", table_name="analytics_escalations")
    op.drop_table("analytics_escalations")
    op.drop_index("ix_analytics_rejections_rank", table_name="analytics_rejections")
    op.drop_index("ix_analytics_rejections_day", table_name="analytics_rejections")
    op.drop_table("analytics_rejections")
    op.drop_index("ix_analytics_hourly_grain_topic_day", table_name="analytics_hourly")
    op.drop_index("ix_analytics_hourly_grain_day", table_name="analytics_hourly")
    op.drop_table("analytics_hourly")
    op.drop_index("ix_analytics_daily_grain_agent_day", table_name="analytics_daily")
    op.drop_index("ix_analytics_daily_grain_day", table_name="analytics_daily")
    op.drop_table("analytics_daily")
