"""Users, roles, API tokens and login rules. Never commits."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from smartinbox.auth import repository as repo
from smartinbox.auth.security import hash_password, new_token, token_digest, verify_password
from smartinbox.kit.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import ApiToken, User
from smartinbox.models.auth import ROLES

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8


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
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return user


def revoke_token(session: Session, prefix: str) -> ApiToken:
    token = repo.get_token_by_prefix(session, prefix)
    if token is None:
        raise NotFound(f"no token starting with {prefix}", field="prefix")
    token.revoked_at = utcnow()
    session.flush()
    return token
