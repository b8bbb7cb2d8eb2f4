"""`smartinbox versions`: list assistant versions and promote a candidate by hand."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.kit.errors import DomainError
from smartinbox.models import AssistantVersion
from smartinbox.versions import service

versions_app = typer.Typer(help="Assistant versions.", no_args_is_help=True)
console = Console()


@versions_app.command("list")
def list_versions() -> None:
    """Every version with its status, provider and model."""
    with session_scope(get_settings(), write=False) as session:
        rows = session.scalars(select(AssistantVersion).order_by(AssistantVersion.id))
        for v in rows:
            model = v.fine_tune_id or v.model or ""
            console.print(f"{v.version_tag}\t{v.status}\t{v.provider}\t{model}\t{v.description}")


@versions_app.command("promote")
def promote(tag: Annotated[str, typer.Argument(help="Version tag, e.g. v1.1.")]) -> None:
    """Make a candidate live by hand (until an automatic promotion gate exists)."""
    try:
        with session_scope(get_settings()) as session:
            version = service.promote(session, tag)
            console.print(f"{version.version_tag} is live")
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
