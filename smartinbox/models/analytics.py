"""Roll-ups behind the dashboards, and the queue of days whose roll-ups are out of date.

A roll-up row sums the messages received on one day (in the team timezone) that share the
same dimensions. `grain` says which filter dimensions a row sums over ("all channels", "all
agents"): a bit per dimension, 0 for the finest rows. A dashboard reads exactly the grain
of the filters it was given, so a year without filters touches a few thousand rows, not
every combination of channel, version and agent. Rows of a day are only ever replaced
together, from the source tables, so they need no uniqueness of their own. Database triggers (migration 0003) note in
`analytics_dirty` every change of a source row that can move a figure; the refresh recomputes
those days.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from smartinbox.models.base import LABEL_LENGTH, Base, BigId, IdMixin, UTCDateTime
from smartinbox.models.inbox import Message

# Bits of `grain`: the dimension is summed over (NULL in the row), not kept.
DAILY_GRAIN = {"channel": 1, "version_id": 2, "agent_id": 4}
HOURLY_GRAIN = {"channel": 1, "topic": 2}


class AnalyticsDaily(IdMixin, Base):
    """Per day, kind, topic and (channel, assistant version, agent): every daily figure."""

    __tablename__ = "analytics_daily"
    __table_args__ = (
        Index("ix_analytics_daily_grain_day", "grain", "day"),
        Index("ix_analytics_daily_grain_agent_day", "grain", "agent_id", "day"),
    )

    grain: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    channel: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    topic: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    version_id: Mapped[int | None] = mapped_column(BigInteger)
    agent_id: Mapped[int | None] = mapped_column(BigInteger)
    messages: Mapped[int] = mapped_column(Integer, nullable=False)
    analysed: Mapped[int] = mapped_column(Integer, nullable=False)
    urgency_sum: Mapped[float] = mapped_column(Float, nullable=False)
    ai_suggested: Mapped[int] = mapped_column(Integer, nullable=False)
    replies_unchanged: Mapped[int] = mapped_column(Integer, nullable=False)
    replies_edited: Mapped[int] = mapped_column(Integer, nullable=False)
    replies_replaced: Mapped[int] = mapped_column(Integer, nullable=False)
    replies_manual: Mapped[int] = mapped_column(Integer, nullable=False)
    ai_based: Mapped[int] = mapped_column(Integer, nullable=False)
    escalated: Mapped[int] = mapped_column(Integer, nullable=False)
    ratings: Mapped[int] = mapped_column(Integer, nullable=False)
    useful: Mapped[int] = mapped_column(Integer, nullable=False)


class AnalyticsHourly(IdMixin, Base):
    """Per day, local hour and (channel, topic): urgency of analysed messages."""

    __tablename__ = "analytics_hourly"
    __table_args__ = (
        Index("ix_analytics_hourly_grain_day", "grain", "day"),
        Index("ix_analytics_hourly_grain_topic_day", "grain", "topic", "day"),
    )

    grain: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    hour: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    channel: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    analysed: Mapped[int] = mapped_column(Integer, nullable=False)
    urgency_sum: Mapped[float] = mapped_column(Float, nullable=False)


class AnalyticsRejection(Base):
    """One row per message whose suggestion drew a current "not useful" rating."""

    __tablename__ = "analytics_rejections"
    __table_args__ = (
        # Read backwards, this is the "most rejected" order: a year's top ten costs ten rows.
        Index(
            "ix_analytics_rejections_rank",
            "rejections",
            "badness",
            "last_rejected_at",
            "message_id",
        ),
        # Covers the filters, so counting a period's rejections never touches the table.
        Index("ix_analytics_rejections_day", "day", "topic", "channel", "agent_id", "version_id"),
    )

    message_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    topic: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    version_id: Mapped[int | None] = mapped_column(BigInteger)
    agent_id: Mapped[int | None] = mapped_column(BigInteger)
    rejections: Mapped[int] = mapped_column(Integer, nullable=False)
    lowest_score: Mapped[int | None] = mapped_column(Integer)
    badness: Mapped[int] = mapped_column(Integer, nullable=False)  # 6 - lowest score; 0 unscored
    last_rejected_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class AnalyticsEscalation(Base):
    """One row per message that needed escalation after an AI-based reply (the list behind it)."""

    __tablename__ = "analytics_escalations"
    __table_args__ = (
        Index("ix_analytics_escalations_day", "day"),
        Index("ix_analytics_escalations_received_at", "received_at"),
    )

    message_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    topic: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    version_id: Mapped[int | None] = mapped_column(BigInteger)
    agent_id: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class AnalyticsDirty(IdMixin, Base):
    """A change that may move figures of the day its message was received (written by triggers)."""

    __tablename__ = "analytics_dirty"

    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # Set for message rows: a new message from a customer can mark an earlier one escalated.
    customer_id: Mapped[int | None] = mapped_column(BigInteger)


class AnalyticsState(Base):
    """What the roll-ups were built for (timezone, escalation window); a change means a rebuild."""

    __tablename__ = "analytics_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), nullable=False)


# The escalation rule asks "did this customer write again soon after the reply?" for every
# AI-answered message; this index answers it with one short range read per message.
Index("ix_messages_customer_received", Message.customer_id, Message.received_at)
