"""The Users page (admins): invite, change role, deactivate, revoke tokens, sign out
everywhere, reset password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartinbox.auth import users
from smartinbox.auth.users import InviteIn, UserPatch
from smartinbox.deps import AdminUser, SessionDep
from smartinbox.kit.errors import DomainError
from smartinbox.kit.ids import RowId
from smartinbox.models import User
from smartinbox.web.views import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    session: SessionDep,
    admin: User,
    *,
    notice: str | None = None,
    secret: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "users/list.html",
        {
            "users": users.list_users(session),
            "notice": notice,
            "secret": secret,
            "error": error,
        },
        user=admin,
        status=status,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, admin: AdminUser) -> HTMLResponse:
    return _page(request, session, admin)


@router.post("/users", response_class=HTMLResponse)
def invite(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[str, Form()] = "agent",
    name: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    try:
        with session.begin_nested():
            out = users.invite(session, InviteIn(email=email, role=role, name=name))
    except DomainError as exc:
        return _page(request, session, admin, error=exc.message, status=exc.status_code)
    return _page(
        request,
        session,
        admin,
        notice=f"Invited {out.user.email} as {out.user.role}. One-time password (shown once):",
        secret=out.password,
        status=201,
    )


@router.post("/users/{user_id}", response_model=None)
def change(
    request: Request,
    user_id: RowId,
    session: SessionDep,
    admin: AdminUser,
    action: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    try:
        with session.begin_nested():
            if action == "role":
                users.update(session, admin, user_id, UserPatch(role=role))
            elif action in ("deactivate", "activate"):
                users.update(session, admin, user_id, UserPatch(active=action == "activate"))
            elif action == "revoke-tokens":
                count = users.revoke_tokens(session, user_id)
                return _page(request, session, admin, notice=f"Revoked {count} API token(s).")
            elif action == "sign-out":
                ended = users.sign_out(session, user_id)
                return _page(request, session, admin, notice=f"Ended {ended} session(s).")
            elif action == "reset-password":
                password = users.reset_password(session, user_id)
                return _page(
                    request,
                    session,
                    admin,
                    notice="New one-time password (shown once):",
                    secret=password,
                )
            else:
                return _page(request, session, admin, error="action: unknown", status=422)
    except DomainError as exc:
        return _page(request, session, admin, error=exc.message, status=exc.status_code)
    return RedirectResponse("/users", status_code=303)
