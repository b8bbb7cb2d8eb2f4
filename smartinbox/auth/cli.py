"""`smartinbox users ...` and `smartinbox tokens ...`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from smartinbox.auth import repository as repo
from smartinbox.auth import service, users
from smartinbox.db import session_scope
from smartinbox.kit.errors import DomainError, NotFound

users_app = typer.Typer(help="Manage agents and admins.", no_args_is_help=True)
tokens_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
console = Console()


def _fail(exc: DomainError) -> None:
    console.print(f"[red]error:[/red] {exc.message}")
    raise typer.Exit(1)


@users_app.command("create")
def create_user(
    email: str,
    role: Annotated[str, typer.Option(help="agent or admin")] = "agent",
    password: Annotated[str | None, typer.Option(help="Prompted for when omitted.")] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    no_password: Annotated[bool, typer.Option(help="API-only user: no UI login.")] = False,
    exist_ok: Annotated[
        bool, typer.Option(help="Succeed without changes if the user exists.")
    ] = False,
) -> None:
    """Create a user. Without --password the password is asked for (twice)."""
    if exist_ok:
        with session_scope() as session:
            if repo.get_user_by_email(session, email) is not None:
                console.print(f"user {email.strip().lower()} already exists")
                return
    if password is None and not no_password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope() as session:
            user = service.create_user(session, email, role=role, password=password, name=name)
            console.print(f"created {user.role} {user.email} (id {user.id})")
    except DomainError as exc:
        _fail(exc)


@users_app.command("set-password")
def set_password(
    email: str,
    password: Annotated[str | None, typer.Option(help="Prompted for when omitted.")] = None,
) -> None:
    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope() as session:
            user = repo.get_user_by_email(session, email)
            if user is None:
                raise DomainError(f"no user with e-mail {email}")
            service.set_password(session, user, password)
            console.print(f"password changed for {user.email}")
    except DomainError as exc:
        _fail(exc)


def _set_active(email: str, active: bool) -> None:
    try:
        with session_scope() as session:
            user = service.user_by_email(session, email)
            service.set_active(session, user, active)
            state = "activated" if active else "deactivated (sessions ended, tokens refused)"
            console.print(f"{user.email} {state}")
    except DomainError as exc:
        _fail(exc)


@users_app.command("deactivate")
def deactivate_user(email: str) -> None:
    """Deactivate a user: ends their UI sessions; they cannot log in or use API tokens."""
    _set_active(email, False)


@users_app.command("activate")
def activate_user(email: str) -> None:
    """Allow a deactivated user to log in and use API tokens again."""
    _set_active(email, True)


@users_app.command("sign-out")
def sign_out_user(email: str) -> None:
    """End every UI session of a user at once ("sign out everywhere")."""
    try:
        with session_scope() as session:
            user = service.user_by_email(session, email)
            ended = service.sign_out_everywhere(session, user)
            console.print(f"ended {ended} session(s) of {user.email}")
    except DomainError as exc:
        _fail(exc)


@users_app.command("list")
def list_users() -> None:
    with session_scope() as session:
        table = Table("id", "email", "role", "active", "last login")
        for u in repo.list_users(session):
            table.add_row(
                str(u.id),
                u.email,
                u.role,
                "yes" if u.is_active else "no",
                str(u.last_login_at or "-"),
            )
        console.print(table)


@tokens_app.command("create")
def create_token(
    email: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "",
    expires_in_days: Annotated[
        int | None,
        typer.Option(help=f"Expire after N days (1 to {service.MAX_TOKEN_DAYS}); omit: never."),
    ] = None,
) -> None:
    """Create an API token; it is printed once, as the last word of the output."""
    try:
        with session_scope() as session:
            _token, raw = service.create_token(
                session, email, name=name, expires_in_days=expires_in_days
            )
    except DomainError as exc:
        _fail(exc)
    typer.echo(f"API token for {email} (shown once, store it safely): {raw}")


@tokens_app.command("revoke")
def revoke_token(
    prefix: Annotated[str, typer.Argument(help="The first 10 characters of the token.")],
) -> None:
    try:
        with session_scope() as session:
            service.revoke_token(session, prefix)
    except DomainError as exc:
        _fail(exc)
    console.print(f"revoked token {prefix}…")


@users_app.command("invite")
def invite_user(
    email: str,
    role: Annotated[str, typer.Option(help="agent or admin")] = "agent",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
) -> None:
    """Create a user with a one-time password, printed once as the last word of the output."""
    try:
        with session_scope() as session:
            out = users.invite(session, users.InviteIn(email=email, role=role, name=name))
    except DomainError as exc:
        _fail(exc)
    typer.echo(f"invited {out.user.role} {out.user.email}; one-time password: {out.password}")


@users_app.command("set-role")
def set_role(email: str, role: Annotated[str, typer.Argument(help="agent or admin")]) -> None:
    """Change a user's role (the team keeps at least one active admin)."""
    try:
        with session_scope() as session:
            user = repo.get_user_by_email(session, email.strip().lower())
            if user is None:
                raise NotFound(f"no user with e-mail {email}", field="email")
            out = users.update(session, user, user.id, users.UserPatch(role=role))
    except DomainError as exc:
        _fail(exc)
    console.print(f"{out.email} is now {out.role}")


@users_app.command("revoke-tokens")
def revoke_user_tokens(email: str) -> None:
    """Revoke every API token of a user."""
    try:
        with session_scope() as session:
            user = repo.get_user_by_email(session, email.strip().lower())
            if user is None:
                raise NotFound(f"no user with e-mail {email}", field="email")
            count = users.revoke_tokens(session, user.id)
    except DomainError as exc:
        _fail(exc)
    console.print(f"revoked {count} token(s) of {email.strip().lower()}")
