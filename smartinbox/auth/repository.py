"""All SQL about users and tokens."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from smartinbox.models import ApiToken, User, UserSession

log = logging.getLogger(__name__)


def touch_token(session: Session, token: ApiToken, now: datetime) -> None:
    """Record a token's use.

    On SQLite, writing `last_used_at` inside a read request's own transaction would turn a
    read into a write, which fails at once when another connection writes at the same moment.
    There the use is recorded in a short transaction of its own, declared a writer so it queues
    for the write lock; if the database stays busy the use is simply not recorded this time.
    A request that already writes (and PostgreSQL) records it in its own transaction."""
    conn = session.connection()
    if conn.dialect.name != "sqlite" or conn.get_execution_options().get("sqlite_write"):
        token.last_used_at = now
        return
    try:
        with Session(session.get_bind()) as own:
            own.connection(execution_options={"sqlite_write": True})
            own.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
            own.commit()
    except OperationalError as exc:
        log.warning("token use not recorded", extra={"error": type(exc).__name__})
        return
    # Already committed on its own: not a change of the request's transaction.
    set_committed_value(token, "last_used_at", now)


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def add_user(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def add_token(session: Session, token: ApiToken) -> ApiToken:
    session.add(token)
    session.flush()
    return token


def get_token_by_digest(session: Session, digest: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)))


def get_token_by_prefix(session: Session, prefix: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))


def add_session(session: Session, row: UserSession) -> UserSession:
    session.add(row)
    session.flush()
    return row


def get_session_by_digest(session: Session, digest: str) -> UserSession | None:
    return session.scalar(select(UserSession).where(UserSession.token_hash == digest))


def end_sessions(session: Session, user_id: int, when: datetime) -> int:
    """End every open session of a user; returns how many were open."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=when)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_sessions(session: Session, user_id: int, now: datetime) -> None:
    """Forget a user's ended and expired sessions (run at each login, so the table stays small)."""
    session.execute(
        delete(UserSession).where(
            UserSession.user_id == user_id,
            or_(UserSession.ended_at.is_not(None), UserSession.expires_at <= now),
        )
    )
