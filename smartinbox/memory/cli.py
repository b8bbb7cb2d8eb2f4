"""`smartinbox memory list|show|approve|edit|remove`: the memory review from a shell."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.kit.errors import DomainError
from smartinbox.memory import repository as repo
from smartinbox.memory import service
from smartinbox.memory.schemas import MemoryReplyOut

memory_app = typer.Typer(
    help="Find, review, edit or remove remembered replies.", no_args_is_help=True
)
console = Console(stderr=True)
ReviewId = Annotated[int, typer.Argument(help="Id of the remembered reply.", min=1)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _out(row: object, as_json: bool) -> None:
    data = MemoryReplyOut.model_validate(row).model_dump(mode="json")
    if as_json:
        print(json.dumps(data, sort_keys=True))
        return
    print(f"#{data['id']} [{data['status']}] learned from {data['learned_from'] or 'unknown'}"
          f"{' · ' + data['reason'] if data['reason'] else ''}")  # fmt: skip
    print(f"  customer: {data['message']}")
    print(f"  reply:    {data['reply']}")


def _run(action: str, review_id: int, as_json: bool, text: str | None = None) -> None:
    settings = get_settings()
    try:
        with session_scope(settings) as session:
            if action == "show":
                row = service.get(session, review_id)
            elif action == "approve":
                row = service.approve(session, review_id, None)
            elif action == "edit":
                row = service.edit(session, settings, review_id, text or "", None)
            else:
                row = service.remove(session, review_id, None)
            _out(row, as_json)
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc


@memory_app.command("list")
def list_command(
    status: Annotated[
        str | None, typer.Option(help="unreviewed, approved, held, junk or removed.")
    ] = None,
    find: Annotated[str | None, typer.Option("--find", help="Text to find.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: AsJson = False,
) -> None:
    """List remembered replies, newest change first."""
    with session_scope(get_settings(), write=False) as session:
        rows, total = repo.listing(session, status, find, limit, 0)
        if as_json:
            items = [MemoryReplyOut.model_validate(r).model_dump(mode="json") for r in rows]
            print(json.dumps({"items": items, "total": total}, sort_keys=True))
            return
        for row in rows:
            _out(row, False)
        console.print(f"{len(rows)} of {total}")


@memory_app.command("show")
def show_command(review_id: ReviewId, as_json: AsJson = False) -> None:
    """Show one remembered reply."""
    _run("show", review_id, as_json)


@memory_app.command("approve")
def approve_command(review_id: ReviewId, as_json: AsJson = False) -> None:
    """Approve a reply as an admin: it may then be suggested with full confidence."""
    _run("approve", review_id, as_json)


@memory_app.command("edit")
def edit_command(
    review_id: ReviewId,
    reply: Annotated[str, typer.Option("--reply", help="The corrected reply.")],
    as_json: AsJson = False,
) -> None:
    """Replace a remembered reply (and the training example it came from)."""
    _run("edit", review_id, as_json, reply)


@memory_app.command("remove")
def remove_command(review_id: ReviewId, as_json: AsJson = False) -> None:
    """Remove a reply from the memory of every worker and from the training exports."""
    _run("remove", review_id, as_json)
