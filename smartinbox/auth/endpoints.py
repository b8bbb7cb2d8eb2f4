"""Admin actions on users over the API: sign out everywhere, deactivate, activate."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from smartinbox.auth import service
from smartinbox.deps import AdminUser, SessionDep
from smartinbox.kit.errors import Conflict
from smartinbox.kit.ids import RowId

router = APIRouter(prefix="/api/users", tags=["users"])


class UserStateOut(BaseModel):
    id: int
    email: str
    is_active: bool
    sessions_ended: int = 0


@router.post("/{user_id}/sign-out", response_model=UserStateOut)
def sign_out_everywhere(user_id: RowId, session: SessionDep, _admin: AdminUser) -> UserStateOut:
    """End every UI session of the user at once; API tokens are not affected."""
    user = service.user_by_id(session, user_id)
    ended = service.sign_out_everywhere(session, user)
    return UserStateOut(
        id=user.id, email=user.email, is_active=user.is_active, sessions_ended=ended
    )


@router.post("/{user_id}/deactivate", response_model=UserStateOut)
def deactivate(user_id: RowId, session: SessionDep, admin: AdminUser) -> UserStateOut:
    """Deactivate: sessions end now; logins and API tokens are refused until activated."""
    user = service.user_by_id(session, user_id)
    if user.id == admin.id:
        raise Conflict("an admin cannot deactivate themselves", field="user_id")
    service.set_active(session, user, False)
    return UserStateOut(id=user.id, email=user.email, is_active=False)


@router.post("/{user_id}/activate", response_model=UserStateOut)
def activate(user_id: RowId, session: SessionDep, _admin: AdminUser) -> UserStateOut:
    user = service.user_by_id(session, user_id)
    service.set_active(session, user, True)
    return UserStateOut(id=user.id, email=user.email, is_active=True)
