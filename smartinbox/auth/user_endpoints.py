"""JSON API of the team's users (admins only)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from smartinbox.auth import users
from smartinbox.auth.users import InviteIn, InviteOut, UserOut, UserPatch
from smartinbox.deps import AdminUser, SessionDep
from smartinbox.kit.ids import RowId

router = APIRouter(prefix="/api/users", tags=["users"])


class RevokedOut(BaseModel):
    revoked: int


@router.get("", response_model=list[UserOut])
def list_users(session: SessionDep, _admin: AdminUser) -> list[UserOut]:
    return users.list_users(session)


@router.post("", response_model=InviteOut, status_code=201)
def invite(data: InviteIn, session: SessionDep, _admin: AdminUser) -> InviteOut:
    """Create the user with a one-time password, returned once."""
    return users.invite(session, data)


@router.patch("/{user_id}", response_model=UserOut)
def patch_user(user_id: RowId, data: UserPatch, session: SessionDep, admin: AdminUser) -> UserOut:
    return users.update(session, admin, user_id, data)


@router.post("/{user_id}/revoke-tokens", response_model=RevokedOut)
def revoke_tokens(user_id: RowId, session: SessionDep, _admin: AdminUser) -> RevokedOut:
    return RevokedOut(revoked=users.revoke_tokens(session, user_id))
