"""All SQL of analytics: per-message facts, roll-up maintenance and the figure queries.

`facts()` is the single definition of every figure's inputs, read straight from the source
tables. The roll-ups are `facts()` summed per day; the figure queries run unchanged on a
roll-up table or on `facts()` summed on the fly (the full scan the benchmark compares with,
and the fallback while roll-ups are being rebuilt).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    FromClause,
    Integer,
    Interval,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from smartinbox.analytics.schemas import Filters
from smartinbox.models import (
    AgentReply,
    AIReply,
    Analysis,
    AnalyticsDaily,
    AnalyticsDirty,
    AnalyticsEscalation,
    AnalyticsHourly,
    AnalyticsRejection,
    AnalyticsState,
    AssistantVersion,
    Feedback,
    Message,
    MessageEvent,
    User,
)
from smartinbox.models.analytics import DAILY_GRAIN, HOURLY_GRAIN

AI_BASED = ("unchanged", "edited")
ESCALATION_EVENTS = ("escalated", "reassigned")
DIMENSIONS = ("channel", "kind", "topic", "version_id", "agent_id")
DAILY_SUMS = (
    "analysed",
    "urgency_sum",
    "ai_suggested",
    "replies_unchanged",
    "replies_edited",
    "replies_replaced",
    "replies_manual",
    "ai_based",
    "escalated",
    "ratings",
    "useful",
)
REJECTION_COLUMNS = (
    "message_id",
    "day",
    "channel",
    "topic",
    "version_id",
    "agent_id",
    "rejections",
    "lowest_score",
    "badness",
    "last_rejected_at",
)
_LOCK_KEY = 7_261_001  # serialises roll-up writers on PostgreSQL


# -- wall-clock time in the team timezone, in SQL --------------------------------------------


def _local_parts(raw: str, tz: str) -> datetime:
    parsed = datetime.fromisoformat(raw)
    return parsed.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def _prepare(session: Session) -> bool:
    """SQLite has no timezones: lend it three small functions. True on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return True
    raw = session.connection().connection.driver_connection
    assert raw is not None
    raw.create_function(
        "si_local_day", 2, lambda v, tz: _local_parts(v, tz).date().isoformat(), deterministic=True
    )
    raw.create_function(
        "si_local_hour", 2, lambda v, tz: _local_parts(v, tz).hour, deterministic=True
    )
    raw.create_function(
        "si_local_weekday", 2, lambda v, tz: _local_parts(v, tz).weekday(), deterministic=True
    )
    return False


def _local(pg: bool, column: Any, tz: str) -> tuple[ColumnElement[Any], ...]:
    if pg:
        wall = func.timezone(tz, column)
        return (
            type_coerce(func.date(wall), Date),
            func.extract("hour", wall).cast(Integer),
            (func.extract("isodow", wall) - 1).cast(Integer),
        )
    return (
        type_coerce(func.si_local_day(column, tz), Date),
        func.si_local_hour(column, tz),
        func.si_local_weekday(column, tz),
    )


def _within(pg: bool, later: Any, earlier: Any, window_s: float) -> ColumnElement[bool]:
    if pg:
        cond: ColumnElement[bool] = later <= earlier + literal(
            timedelta(seconds=window_s), Interval()
        )
    else:
        cond = (func.julianday(later) - func.julianday(earlier)) * 86400.0 <= window_s
    return cond


# -- facts: one row per message, straight from the source tables -----------------------------


def facts(session: Session, tz: str, window_s: float, lo: datetime, hi: datetime) -> FromClause:
    """Every input of every figure for messages received in [lo, hi) (UTC)."""
    pg = _prepare(session)
    m = Message

    def replies(*usages: str) -> Any:
        cond = and_(AgentReply.message_id == m.id, AgentReply.usage.in_(usages))
        return select(func.count()).where(cond).scalar_subquery()

    def rated(useful_only: bool) -> Any:
        cond = and_(Feedback.message_id == m.id, Feedback.is_current.is_(True))
        if useful_only:
            cond = and_(cond, Feedback.useful.is_(True))
        return select(func.count()).where(cond).scalar_subquery()

    first_ai = (
        select(func.min(AgentReply.created_at))
        .where(AgentReply.message_id == m.id, AgentReply.usage.in_(AI_BASED))
        .scalar_subquery()
    )
    day, hour, weekday = _local(pg, m.received_at, tz)
    base = (
        select(
            m.id.label("message_id"),
            m.received_at,
            m.customer_id,
            m.status,
            day.label("day"),
            hour.label("hour"),
            weekday.label("weekday"),
            m.channel,
            Analysis.kind,
            Analysis.topic,
            AIReply.assistant_version_id.label("version_id"),
            m.assignee_id.label("agent_id"),
            case((Analysis.id.is_not(None), 1), else_=0).label("analysed"),
            func.coalesce(Analysis.urgency, 0.0).label("urgency"),
            case((AIReply.id.is_not(None), 1), else_=0).label("ai_suggested"),
            replies("unchanged").label("replies_unchanged"),
            replies("edited").label("replies_edited"),
            replies("replaced").label("replies_replaced"),
            replies("none").label("replies_manual"),
            first_ai.label("first_ai_at"),
            rated(False).label("ratings"),
            rated(True).label("useful"),
        )
        .outerjoin(Analysis, Analysis.message_id == m.id)
        .outerjoin(AIReply, and_(AIReply.message_id == m.id, AIReply.is_current.is_(True)))
        .where(m.received_at >= lo, m.received_at < hi)
        .subquery("base")
    )
    later = aliased(Message)
    event_after = exists().where(
        MessageEvent.message_id == base.c.message_id,
        MessageEvent.event.in_(ESCALATION_EVENTS),
        MessageEvent.created_at > base.c.first_ai_at,
    )
    wrote_again = exists().where(
        later.customer_id == base.c.customer_id,
        later.id != base.c.message_id,
        later.received_at > base.c.first_ai_at,
        _within(pg, later.received_at, base.c.first_ai_at, window_s),
    )
    escalation = case(
        (base.c.first_ai_at.is_(None), None),
        (base.c.status == "escalated", "escalated status"),
        (event_after, "escalated or reassigned"),
        (wrote_again, "customer wrote again"),
        else_=None,
    )
    keep = [c for c in base.c if c.name not in ("status", "customer_id", "first_ai_at")]
    return select(
        *keep,
        case((base.c.first_ai_at.is_not(None), 1), else_=0).label("ai_based"),
        escalation.label("escalation"),
    ).subquery("facts")


def daily_from(f: FromClause) -> Select[Any]:
    """Facts summed at the finest grain (0): per day, kind, topic, channel, version, agent."""
    sums = [
        func.sum(case((f.c.escalation.is_not(None), 1), else_=0)).label(name)
        if name == "escalated"
        else func.sum(f.c.urgency if name == "urgency_sum" else f.c[name]).label(name)
        for name in DAILY_SUMS
    ]
    keys = [f.c.day, *(f.c[d] for d in DIMENSIONS)]
    return select(literal(0).label("grain"), *keys, func.count().label("messages"), *sums).group_by(
        *keys
    )


def hourly_from(f: FromClause) -> Select[Any]:
    keys = [f.c.day, f.c.hour, f.c.channel, f.c.topic]
    return (
        select(
            literal(0).label("grain"),
            *keys,
            func.sum(f.c.analysed).label("analysed"),
            func.sum(f.c.urgency).label("urgency_sum"),
        )
        .where(f.c.analysed == 1)
        .group_by(*keys)
    )


def _coarser(model: Any, grains: dict[str, int], keys: Sequence[str], sums: Sequence[str],
             grain: int, first: date, last: date) -> Any:  # fmt: skip
    """INSERT the rows of `grain` summed from the finest rows of the same days."""
    t = model.__table__
    kept = [t.c[k] for k in keys]
    dims = [t.c[d] if not grain & bit else literal(None).label(d) for d, bit in grains.items()]
    kept_dims = [t.c[d] for d, bit in grains.items() if not grain & bit]
    stmt = (
        select(literal(grain), *kept, *dims, *(func.sum(t.c[c]) for c in sums))
        .where(t.c.grain == 0, t.c.day >= first, t.c.day <= last)
        .group_by(*kept, *kept_dims)
    )
    return insert(model).from_select(["grain", *keys, *grains, *sums], stmt)


def rejections_from(f: FromClause, lo: datetime, hi: datetime) -> Select[Any]:
    in_range = select(Message.id).where(Message.received_at >= lo, Message.received_at < hi)
    neg = (
        select(
            Feedback.message_id,
            func.count().label("rejections"),
            func.min(Feedback.score).label("lowest_score"),
            func.max(Feedback.created_at).label("last_rejected_at"),
        )
        .where(
            Feedback.is_current.is_(True),
            Feedback.useful.is_(False),
            Feedback.message_id.in_(in_range),
        )
        .group_by(Feedback.message_id)
        .subquery("neg")
    )
    return select(
        f.c.message_id,
        f.c.day,
        f.c.channel,
        f.c.topic,
        f.c.version_id,
        f.c.agent_id,
        neg.c.rejections,
        neg.c.lowest_score,
        (6 - func.coalesce(neg.c.lowest_score, 6)).label("badness"),
        neg.c.last_rejected_at,
    ).join(neg, neg.c.message_id == f.c.message_id)


def escalations_from(f: FromClause) -> Select[Any]:
    return select(
        f.c.message_id,
        f.c.day,
        f.c.channel,
        f.c.topic,
        f.c.version_id,
        f.c.agent_id,
        f.c.escalation.label("reason"),
        f.c.received_at,
    ).where(f.c.escalation.is_not(None))


# -- roll-up maintenance ---------------------------------------------------------------------


def lock_writers(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))


def has_dirty(session: Session) -> bool:
    return session.scalar(select(AnalyticsDirty.id).limit(1)) is not None


def claim_dirty(session: Session, batch: int = 50_000) -> list[tuple[datetime, int | None]]:
    """Take the pending marks (rows a writer has not committed yet stay for the next run)."""
    claimed: list[tuple[datetime, int | None]] = []
    while True:
        ids = select(AnalyticsDirty.id).order_by(AnalyticsDirty.id).limit(batch)
        rows = session.execute(
            delete(AnalyticsDirty)
            .where(AnalyticsDirty.id.in_(ids.scalar_subquery()))
            .returning(AnalyticsDirty.received_at, AnalyticsDirty.customer_id)
        ).all()
        claimed.extend((r[0], r[1]) for r in rows)
        if len(rows) < batch:
            return claimed


def clear_dirty(session: Session) -> None:
    session.execute(delete(AnalyticsDirty))


def replied_before(
    session: Session, customer_ids: Sequence[int], since: datetime
) -> list[datetime]:
    """Receipt times of these customers' messages that got an AI-based reply after `since`."""
    found: list[datetime] = []
    for start in range(0, len(customer_ids), 500):
        chunk = customer_ids[start : start + 500]
        found.extend(
            session.scalars(
                select(Message.received_at)
                .join(AgentReply, AgentReply.message_id == Message.id)
                .where(
                    Message.customer_id.in_(chunk),
                    AgentReply.usage.in_(AI_BASED),
                    AgentReply.created_at >= since,
                )
                .distinct()
            )
        )
    return found


def received_range(session: Session) -> tuple[datetime | None, datetime | None]:
    row = session.execute(
        select(func.min(Message.received_at), func.max(Message.received_at))
    ).one()
    return row[0], row[1]


def delete_rollups(session: Session, days: Iterable[date] | None) -> None:
    for model in (AnalyticsDaily, AnalyticsHourly, AnalyticsRejection, AnalyticsEscalation):
        stmt = delete(model)
        if days is not None:
            stmt = stmt.where(model.day.in_(list(days)))
        session.execute(stmt)


def insert_rollups(
    session: Session, tz: str, window_s: float, days: tuple[date, date], lo: datetime, hi: datetime
) -> None:
    """Sum the facts of [lo, hi), the local days `days`, into the roll-ups (the caller has
    deleted those days): the finest rows from the facts, every coarser grain from those."""
    f = facts(session, tz, window_s, lo, hi)
    daily_cols = ["grain", "day", *DIMENSIONS, "messages", *DAILY_SUMS]
    session.execute(insert(AnalyticsDaily).from_select(daily_cols, daily_from(f)))
    for grain in range(1, 8):
        session.execute(_coarser(AnalyticsDaily, DAILY_GRAIN, ("day", "kind", "topic"),
                                 ("messages", *DAILY_SUMS), grain, *days))  # fmt: skip
    f = facts(session, tz, window_s, lo, hi)
    hourly_cols = ["grain", "day", "hour", "channel", "topic", "analysed", "urgency_sum"]
    session.execute(insert(AnalyticsHourly).from_select(hourly_cols, hourly_from(f)))
    for grain in range(1, 4):
        session.execute(_coarser(AnalyticsHourly, HOURLY_GRAIN, ("day", "hour"),
                                 ("analysed", "urgency_sum"), grain, *days))  # fmt: skip
    f = facts(session, tz, window_s, lo, hi)
    session.execute(
        insert(AnalyticsRejection).from_select(list(REJECTION_COLUMNS), rejections_from(f, lo, hi))
    )
    f = facts(session, tz, window_s, lo, hi)
    escalation_cols = [*REJECTION_COLUMNS[:6], "reason", "received_at"]
    session.execute(insert(AnalyticsEscalation).from_select(escalation_cols, escalations_from(f)))


def get_state(session: Session) -> dict[str, str]:
    return {row.key: row.value for row in session.scalars(select(AnalyticsState))}


def set_state(session: Session, values: dict[str, str]) -> None:
    session.execute(delete(AnalyticsState).where(AnalyticsState.key.in_(list(values))))
    session.add_all(AnalyticsState(key=k, value=v) for k, v in values.items())
    session.flush()


# -- figure queries: the same SQL over a roll-up table or over the facts ---------------------


def _where(
    src: FromClause,
    start: date,
    end: date,
    filters: Filters,
    dims: Sequence[str],
    grain: int | None,
) -> list[Any]:
    cond: list[Any] = [src.c.day >= start, src.c.day <= end]
    if grain is not None:
        cond.append(src.c.grain == grain)
    for name in dims:
        value = getattr(filters, name)
        if value is not None:
            cond.append(src.c[name] == value)
    return cond


def daily_rows(
    session: Session,
    src: FromClause,
    start: date,
    end: date,
    filters: Filters,
    grain: int,
    group: Sequence[str],
) -> list[Any]:
    """Every daily sum, grouped by `group` (day, or kind and topic)."""
    dims = ("channel", "topic", "version_id", "agent_id")
    keys = [src.c[g] for g in group]
    totals = [func.sum(src.c[c]).label(c) for c in ("messages", *DAILY_SUMS)]
    stmt = select(*keys, *totals).where(*_where(src, start, end, filters, dims, grain))
    return list(session.execute(stmt.group_by(*keys)).all())


def hourly_rows(
    session: Session,
    src: FromClause,
    start: date,
    end: date,
    filters: Filters,
    grain: int,
    group: str,
) -> list[Any]:
    keys = [src.c[group]]
    totals = [
        func.sum(src.c.analysed).label("analysed"),
        func.sum(src.c.urgency_sum).label("urgency_sum"),
    ]
    stmt = select(*keys, *totals).where(
        *_where(src, start, end, filters, ("channel", "topic"), grain)
    )
    return list(session.execute(stmt.group_by(*keys)).all())


def listed(
    session: Session,
    src: FromClause,
    start: date,
    end: date,
    filters: Filters,
    order: str,
    offset: int,
    limit: int,
) -> tuple[list[Any], int]:
    """A page of a per-message roll-up (rejections, escalations) and how many rows match."""
    cond = _where(src, start, end, filters, ("channel", "topic", "version_id", "agent_id"), None)
    if order == "rank":
        keys = [src.c.rejections.desc(), src.c.badness.desc(), src.c.last_rejected_at.desc()]
    elif "received_at" in src.c:
        keys = [src.c.received_at.desc()]
    else:
        keys = [src.c.last_rejected_at.desc()]
    total = session.scalar(select(func.count()).select_from(src).where(*cond)) or 0
    if (end - start).days > 31 and session.get_bind().dialect.name == "sqlite":
        # Over a long period most rows qualify: walking the order's index and stopping at
        # `limit` beats sorting them all. SQLite's planner prefers the day index unless the
        # day test is an expression it cannot look up.
        day = type_coerce(func.ltrim(src.c.day), Date)
        cond = [day >= start, day <= end, *cond[2:]]
    stmt = select(src).where(*cond).order_by(*keys, src.c.message_id.desc())
    rows = session.execute(stmt.offset(offset).limit(limit)).all()
    return list(rows), int(total)


def interaction_texts(session: Session, message_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Message, current suggestion and the latest agent reply of each message."""
    out: dict[int, dict[str, Any]] = {
        mid: {"message": "", "subject": "", "ai_reply": "", "agent_reply": "", "usage": None}
        for mid in message_ids
    }
    for mid, subject, body in session.execute(
        select(Message.id, Message.subject, Message.body).where(Message.id.in_(message_ids))
    ):
        out[mid].update(message=body, subject=subject)
    for mid, reply in session.execute(
        select(AIReply.message_id, AIReply.text).where(
            AIReply.message_id.in_(message_ids), AIReply.is_current.is_(True)
        )
    ):
        out[mid]["ai_reply"] = reply
    for mid, reply, usage in session.execute(
        select(AgentReply.message_id, AgentReply.text, AgentReply.usage)
        .where(AgentReply.message_id.in_(message_ids))
        .order_by(AgentReply.created_at, AgentReply.id)
    ):
        out[mid].update(agent_reply=reply, usage=usage)  # the last one wins
    return out


def drill_ids(
    session: Session,
    f: FromClause,
    filters: Filters,
    predicate: Sequence[Any],
    offset: int,
    limit: int,
) -> tuple[list[int], int]:
    cond = [*predicate]
    for name in ("channel", "topic", "version_id", "agent_id"):
        value = getattr(filters, name)
        if value is not None:
            cond.append(f.c[name] == value)
    total = session.scalar(select(func.count()).select_from(f).where(*cond)) or 0
    ids = session.scalars(
        select(f.c.message_id)
        .where(*cond)
        .order_by(f.c.received_at.desc(), f.c.message_id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(ids), int(total)


def choices(session: Session) -> dict[str, list[tuple[Any, str]]]:
    """What the filter menus offer: channels and topics seen, versions, agents."""
    daily = AnalyticsDaily
    finest = daily.grain == 0
    channels = session.scalars(
        select(daily.channel).where(finest).distinct().order_by(daily.channel)
    )
    topics = session.scalars(
        select(daily.topic).where(finest, daily.topic.is_not(None)).distinct().order_by(daily.topic)
    )
    versions = session.execute(
        select(AssistantVersion.id, AssistantVersion.version_tag).order_by(AssistantVersion.id)
    )
    agents = session.execute(select(User.id, User.name, User.email).order_by(User.email))
    return {
        "channel": [(c, str(c)) for c in channels],
        "topic": [(t, str(t)) for t in topics],
        "version_id": [(v_id, tag) for v_id, tag in versions],
        "agent_id": [(u_id, name or email) for u_id, name, email in agents],
    }


def analyze_tables(session: Session) -> None:
    """Fresh planner statistics after a bulk load (both databases plan by them)."""
    session.execute(text("ANALYZE"))


# -- bulk loading (the year generator) ------------------------------------------------------


def next_ids(session: Session, tables: Iterable[str]) -> dict[str, int]:
    return {
        t: int(session.scalar(text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {t}")) or 1)
        for t in tables
    }


def skip_triggers(session: Session) -> bool:
    """On PostgreSQL, load without firing triggers when allowed (a rebuild follows anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    try:
        with session.begin_nested():
            session.execute(text("SET LOCAL session_replication_role = replica"))
        return True
    except Exception:  # not a superuser: triggers fire, which is only slower
        return False


def bulk_insert(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    raw = session.connection().connection.driver_connection
    assert raw is not None
    names = ", ".join(columns)
    if session.get_bind().dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    times = [i for i, v in enumerate(rows[0]) if isinstance(v, datetime)]
    fmt = "%Y-%m-%d %H:%M:%S.%f"

    def as_sqlite(row: tuple[Any, ...]) -> tuple[Any, ...]:
        if not times:
            return row
        out = list(row)
        for i in times:
            if out[i] is not None:
                out[i] = out[i].astimezone(UTC).strftime(fmt)
        return tuple(out)

    marks = ", ".join("?" for _ in columns)
    raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", map(as_sqlite, rows))


def sync_sequences(session: Session, tables: Iterable[str]) -> None:
    """After loading explicit ids, PostgreSQL's id sequences must continue past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for t in tables:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {t}))"
            )
        )


def ensure_rows(
    session: Session, model: Any, key: str, values: Sequence[dict[str, Any]]
) -> list[int]:
    """Ids of rows with these keys, inserting the missing ones (generator agents, versions)."""
    column = getattr(model, key)
    stmt = select(column, model.id).where(column.in_([v[key] for v in values]))
    found: dict[Any, int] = {k: int(i) for k, i in session.execute(stmt)}
    for v in values:
        if v[key] not in found:
            row = model(**v)
            session.add(row)
            session.flush()
            found[v[key]] = row.id
    return [int(found[v[key]]) for v in values]
