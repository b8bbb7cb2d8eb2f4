"""`smartinbox versions`: list, show, diff, promote (through the gate), rollback, freeze, copy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.kit.errors import DomainError
from smartinbox.versions import compare, service
from smartinbox.versions import repository as repo
from smartinbox.versions.schemas import VersionOut

versions_app = typer.Typer(help="Assistant versions.", no_args_is_help=True)
console = Console()
Tag = Annotated[str, typer.Argument(help="Version tag, e.g. v1.1.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc


def _print(data: dict[str, Any]) -> None:
    print(json.dumps(data, default=str, sort_keys=True))


@versions_app.command("list")
def list_versions(as_json: Json = False) -> None:
    """Every version with its status, provider and model."""
    with session_scope(get_settings(), write=False) as session:
        rows = [VersionOut.model_validate(v) for v in repo.all_versions(session)]
    for v in rows:
        if as_json:
            _print(v.model_dump(mode="json"))
            continue
        model = v.fine_tune_id or v.model or ""
        frozen = "frozen" if v.frozen else ""
        console.print(
            f"{v.version_tag}\t{v.status}\t{frozen}\t{v.provider}\t{model}\t{v.description}"
        )


@versions_app.command("show")
def show(tag: Tag) -> None:
    """One version as JSON: prompt, few-shot set, artifacts with hashes, settings, status."""
    with _errors(), session_scope(get_settings(), write=False) as session:
        _print(VersionOut.model_validate(service.get(session, tag)).model_dump(mode="json"))


@versions_app.command("diff")
def diff(old: Tag, new: Tag) -> None:
    """Line diff of the system prompt, few-shot examples and model settings of two versions."""
    with _errors(), session_scope(get_settings(), write=False) as session:
        result = compare.compare(session, old, new)
    for section in result["sections"]:
        console.print(f"[bold]{section.title}[/bold]: {'changed' if section.changed else 'same'}")
        if section.unified:
            console.print(section.unified, markup=False, highlight=False)


@versions_app.command("promote")
def promote(
    tag: Tag,
    force: Annotated[bool, typer.Option(help="Skip the promotion gate (an admin's call).")] = False,
    as_json: Json = False,
) -> None:
    """Make a candidate live if its stress test beats live (runs one when there is none)."""
    settings = get_settings()
    with _errors():
        if force:
            with session_scope(settings) as session:
                service.promote(session, tag)
            result: dict[str, Any] = {"candidate": tag, "promoted": True, "reasons": []}
        else:
            from smartinbox.evaluation.gate import promote_if_better

            result = promote_if_better(settings, tag).to_dict()
    if as_json:
        _print(result)
    elif result["promoted"]:
        console.print(f"{tag} is live")
    else:
        console.print(f"{tag} stays a candidate:")
        for reason in result["reasons"]:
            console.print(f"  - {reason}", markup=False)
    if not result["promoted"]:
        raise typer.Exit(2)


@versions_app.command("rollback")
def rollback() -> None:
    """Return to the version that was live before the current one."""
    with _errors(), session_scope(get_settings()) as session:
        old, new = service.rollback(session)
        console.print(f"rolled back from {old.version_tag} to {new.version_tag}")


@versions_app.command("freeze")
def freeze(tag: Tag) -> None:
    """Freeze a version: it can no longer be edited, only copied."""
    with _errors(), session_scope(get_settings()) as session:
        console.print(f"{service.freeze(session, tag).version_tag} is frozen")


@versions_app.command("copy")
def copy(tag: Tag) -> None:
    """A new editable candidate with everything of TAG."""
    with _errors(), session_scope(get_settings()) as session:
        console.print(f"{service.copy(session, tag).version_tag} created from {tag}")
