"""Users, roles, API tokens and login rules. Never commits."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from smartinbox.auth import repository as repo
from smartinbox.auth.security import (
    hash_password,
    new_csrf_token,
    new_token,
    token_digest,
    verify_password,
)
from smartinbox.kit.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import ApiToken, User, UserSession
from smartinbox.models.auth import ROLES

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
MAX_TOKEN_DAYS = 3660  # ten years


def create_user(
    session: Session,
    email: str,
    *,
    role: str = "agent",
    password: str | None = None,
    name: str = "",
) -> User:
    email = email.strip().lower()
    if not _EMAIL_RE.match(email):
        raise ValidationFailed(f"'{email}' is not a valid e-mail address", field="email")
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", field="role")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            f"password must have at least {MIN_PASSWORD} characters", field="password"
        )
    if repo.get_user_by_email(session, email) is not None:
        raise Conflict(f"a user with e-mail {email} already exists", field="email")
    user = User(
        email=email,
        role=role,
        name=name or email.split("@")[0],
        password_hash=hash_password(password) if password else None,
    )
    return repo.add_user(session, user)


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            f"password must have at least {MIN_PASSWORD} characters", field="password"
        )
    user.password_hash = hash_password(password)
    # A new password ends every login made with the old one.
    repo.end_sessions(session, user.id, utcnow())
    session.flush()


def authenticate(session: Session, email: str, password: str) -> User:
    user = repo.get_user_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise Unauthorized("wrong e-mail or password")
    user.last_login_at = utcnow()
    session.flush()
    return user


def create_token(
    session: Session, email: str, *, name: str = "", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(
            f"expires_in_days must be between 1 and {MAX_TOKEN_DAYS} (or omitted: never expires)",
            field="expires_in_days",
        )
    user = repo.get_user_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with e-mail {email}", field="email")
    raw = new_token()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=raw[:10],
        token_hash=token_digest(raw),
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    repo.add_token(session, token)
    return token, raw


def user_for_token(session: Session, raw: str) -> User:
    token = repo.get_token_by_digest(session, token_digest(raw))
    now = utcnow()
    if token is None or token.revoked_at is not None:
        raise Unauthorized("invalid or revoked API token")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("API token expired")
    user = token.user
    if not user.is_active:
        raise Unauthorized("user is deactivated")
    # Written at most once a minute so reads do not turn every request into a write.
    due = token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1)
    if due:
        repo.touch_token(session, token, now)
    return user


def revoke_token(session: Session, prefix: str) -> ApiToken:
    token = repo.get_token_by_prefix(session, prefix)
    if token is None:
        raise NotFound(f"no token starting with {prefix}", field="prefix")
    token.revoked_at = utcnow()
    session.flush()
    return token


# -- UI sessions: the cookie carries only a random id; the row decides whether it still holds --


def start_session(session: Session, user: User, max_age_s: int) -> tuple[UserSession, str]:
    """A new login session; returns the row and the raw id that goes into the cookie."""
    repo.purge_sessions(session, user.id, utcnow())
    raw = new_token()
    row = UserSession(
        user_id=user.id,
        token_hash=token_digest(raw),
        csrf_token=new_csrf_token(),
        expires_at=utcnow() + timedelta(seconds=max_age_s),
    )
    return repo.add_session(session, row), raw


def session_for(session: Session, raw: str) -> UserSession:
    """The open session behind a cookie, or Unauthorized (ended, expired, user deactivated)."""
    row = repo.get_session_by_digest(session, token_digest(raw))
    if row is None or row.ended_at is not None or row.expires_at <= utcnow():
        raise Unauthorized("your session has ended; please log in again")
    if not row.user.is_active:
        raise Unauthorized("user is deactivated")
    return row


def end_session(session: Session, raw: str) -> None:
    row = repo.get_session_by_digest(session, token_digest(raw))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        session.flush()


def sign_out_everywhere(session: Session, user: User) -> int:
    """End every UI session of the user; returns how many were open."""
    ended = repo.end_sessions(session, user.id, utcnow())
    session.flush()
    return ended


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivation ends the user's sessions; their API tokens stop working while inactive."""
    user.is_active = active
    if not active:
        repo.end_sessions(session, user.id, utcnow())
    session.flush()


def user_by_email(session: Session, email: str) -> User:
    user = repo.get_user_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with e-mail {email}", field="email")
    return user


def user_by_id(session: Session, user_id: int) -> User:
    user = repo.get_user(session, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}", field="user_id")
    return user
