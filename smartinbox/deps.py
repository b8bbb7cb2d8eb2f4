"""Request dependencies: the session that commits, the current user, CSRF.

The request owns the transaction: `SessionDep` commits after the endpoint returns and
before the response is sent (dependency scope "function"), or rolls back on error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from smartinbox.auth import service as auth_service
from smartinbox.auth.security import same
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.kit.errors import Forbidden, Unauthorized
from smartinbox.models import User

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(request: Request) -> Iterator[Session]:
    with session_scope(
        request.app.state.settings, write=request.method in UNSAFE_METHODS
    ) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


SESSION_KEY = "sid"


async def _csrf_ok(request: Request, expected: str) -> bool:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    return same(expected, sent)


async def get_current_user(request: Request, session: SessionDep) -> User:
    """A bearer API token, or a UI login session (then CSRF is required on writes).

    The cookie carries only a session id; the server-side row decides whether the login
    still holds, so logout, a new password, deactivation or "sign out everywhere" end it.
    """
    # Async for the CSRF form read; the database lookups run in the thread pool, because a
    # query on the event loop that waits (for a pooled connection, for SQLite's write lock)
    # stops every request of the process, not only this one.
    raw = _bearer(request)
    if raw is not None:
        user = await run_in_threadpool(auth_service.user_for_token, session, raw)
        request.state.user = user
        return user
    sid = request.session.get(SESSION_KEY) if "session" in request.scope else None
    if not isinstance(sid, str) or not sid:
        raise Unauthorized("authentication required: send 'Authorization: Bearer <token>'")
    try:
        row = await run_in_threadpool(auth_service.session_for, session, sid)
    except Unauthorized:
        request.session.clear()
        raise
    request.state.csrf = row.csrf_token
    if request.method in UNSAFE_METHODS and not await _csrf_ok(request, row.csrf_token):
        raise Forbidden("missing or invalid CSRF token", field="csrf_token")
    request.state.user = row.user
    return row.user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("this action needs the admin role")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]
