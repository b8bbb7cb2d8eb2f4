"""Managing the team: invite, change role, deactivate or reactivate, revoke API tokens.

Built on the auth service (create_user, hashing); the page, the API and the CLI all call these
functions. A deactivated user's API tokens and UI sessions stop working on their next request.
The team always keeps one active admin. Never commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from smartinbox.auth import repository as repo
from smartinbox.auth import service
from smartinbox.kit.errors import Conflict, NotFound, ValidationFailed
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import User
from smartinbox.models.auth import ROLES


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: str
    is_active: bool
    last_login_at: datetime | None
    active_tokens: int = 0


class InviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(..., max_length=320)
    role: str = Field("agent", description="agent or admin")
    name: str = Field("", max_length=200)


class InviteOut(BaseModel):
    user: UserOut
    password: str = Field(description="A one-time password, shown once: hand it to the user.")


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None = Field(None, description="agent or admin")
    active: bool | None = Field(None, description="false deactivates: tokens and sessions end")


def _out(session: Session, user: User) -> UserOut:
    now = utcnow()
    live = [
        t
        for t in repo.list_tokens(session, user.id)
        if t.revoked_at is None and (t.expires_at is None or t.expires_at > now)
    ]
    out = UserOut.model_validate(user)
    out.active_tokens = len(live)
    return out


def list_users(session: Session) -> list[UserOut]:
    return [_out(session, u) for u in repo.list_users(session)]


def get_user(session: Session, user_id: int) -> User:
    user = repo.get_user(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist", field="id")
    return user


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def invite(session: Session, data: InviteIn) -> InviteOut:
    password = one_time_password()
    user = service.create_user(
        session, data.email, role=data.role, password=password, name=data.name
    )
    return InviteOut(user=_out(session, user), password=password)


def _other_active_admins(session: Session, user: User) -> int:
    return sum(
        1 for u in repo.list_users(session) if u.id != user.id and u.is_active and u.is_admin
    )


def update(session: Session, actor: User, user_id: int, data: UserPatch) -> UserOut:
    user = get_user(session, user_id)
    if data.role is not None:
        if data.role not in ROLES:
            raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", field="role")
        if user.is_admin and data.role != "admin" and not _other_active_admins(session, user):
            raise Conflict("the team needs at least one active admin", field="role")
        user.role = data.role
    if data.active is not None and data.active != user.is_active:
        if not data.active:
            if user.id == actor.id:
                raise Conflict("you cannot deactivate yourself", field="active")
            if user.is_admin and not _other_active_admins(session, user):
                raise Conflict("the team needs at least one active admin", field="active")
        user.is_active = data.active
    session.flush()
    return _out(session, user)


def revoke_tokens(session: Session, user_id: int) -> int:
    """Revoke every live API token of the user; how many were live."""
    user = get_user(session, user_id)
    now = utcnow()
    count = 0
    for token in repo.list_tokens(session, user.id):
        if token.revoked_at is None:
            token.revoked_at = now
            count += 1
    session.flush()
    return count


def sign_out(session: Session, user_id: int) -> int:
    """End every UI session of the user ("sign out everywhere"); how many were open."""
    return service.sign_out_everywhere(session, get_user(session, user_id))


def reset_password(session: Session, user_id: int) -> str:
    """A new one-time password (the old one stops working)."""
    user = get_user(session, user_id)
    password = one_time_password()
    service.set_password(session, user, password)
    return password
