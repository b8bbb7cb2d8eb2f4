"""`smartinbox mail import FILE.eml|MBOX` and `smartinbox channels ...` (webhook endpoints)."""

from __future__ import annotations

import json
import mailbox
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from smartinbox.channels import email_in, webhooks
from smartinbox.channels import tasks as _tasks  # noqa: F401  (the reply-delivery hook)
from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.inbox.tasks import queue_analysis
from smartinbox.kit.errors import DomainError
from smartinbox.models.channels import WEBHOOK_EVENTS
from smartinbox.worker import configure_queue, enqueue

console = Console()
mail_app = typer.Typer(help="E-mail: import .eml files and mbox archives.", no_args_is_help=True)

CHUNK = 200


def raw_mails(path: Path) -> Iterator[bytes]:
    """The raw mails of a file: an mbox archive (starts with a "From " line) or one mail."""
    with path.open("rb") as handle:
        is_mbox = handle.read(5) == b"From "
    if not is_mbox:
        yield path.read_bytes()
        return
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys():
            yield box.get_bytes(key)
    finally:
        box.close()


def import_mails(path: Path, *, analyze: bool = True) -> dict[str, object]:
    """Import every mail of `path`, CHUNK mails per transaction; a bad mail is skipped with
    its reason and the others go on. Idempotent: a Message-ID already stored is not added."""
    settings = get_settings()
    counts = {"created": 0, "existing": 0, "skipped": 0}
    problems: list[str] = []
    started = time.perf_counter()
    mails = raw_mails(path)
    position = 0
    done = False
    while not done:
        with session_scope(settings) as session:
            new_ids: list[int] = []
            for _ in range(CHUNK):
                raw = next(mails, None)
                if raw is None:
                    done = True
                    break
                position += 1
                try:
                    with session.begin_nested():
                        result = email_in.ingest_email(session, settings, raw)
                except DomainError as exc:
                    counts["skipped"] += 1
                    problems.append(f"mail {position}: {exc.message}")
                    continue
                if result.created:
                    counts["created"] += 1
                    new_ids.append(result.message.id)
                else:
                    counts["existing"] += 1
            if new_ids and analyze:
                enqueue(session, queue_analysis, new_ids)
    elapsed = time.perf_counter() - started
    return {
        **counts,
        "mails": position,
        "seconds": round(elapsed, 3),
        "mails_per_s": round(position / elapsed, 1) if elapsed > 0 else None,
        "problems": problems[:50],
    }


@mail_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="One .eml mail or an mbox archive."
        ),
    ],
    no_analyze: Annotated[
        bool, typer.Option("--no-analyze", help="Do not queue triage for imported mails.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Import raw mails (threaded, deduplicated by Message-ID); analysis is queued."""
    configure_queue()
    result = import_mails(file, analyze=not no_analyze)
    if as_json:
        typer.echo(json.dumps(result))
        return
    console.print(
        f"{result['mails']} mail(s): {result['created']} new, {result['existing']} already "
        f"stored, {result['skipped']} skipped ({result['mails_per_s']} mails/s)"
    )
    for problem in result["problems"]:  # type: ignore[attr-defined]
        console.print(f"  skipped {problem}", markup=False)


channels_app = typer.Typer(
    help="Webhook channels: add, list, test, pause, resume, remove.", no_args_is_help=True
)


@channels_app.command("add")
def add_channel(
    name: Annotated[str, typer.Argument(help="A name for the endpoint.")],
    url: Annotated[str, typer.Option(help="The URL events are POSTed to.")],
    events: Annotated[
        str,
        typer.Option(help=f"Comma-separated events: {', '.join(WEBHOOK_EVENTS)}."),
    ] = "reply.sent",
) -> None:
    """Add a webhook endpoint; its signing secret is printed once and never shown again."""
    settings = get_settings()
    chosen = [e.strip() for e in events.split(",") if e.strip()]
    try:
        with session_scope(settings) as session:
            endpoint, secret = webhooks.add_endpoint(session, settings, name, url, chosen)
            summary = (
                f"added channel {endpoint.name} -> {endpoint.url} ({', '.join(endpoint.events)})"
            )
    except DomainError as exc:
        console.print(f"error: {exc.message}", markup=False)
        raise typer.Exit(2) from exc
    console.print(summary, markup=False)
    console.print(f"signing secret (shown once, stored encrypted): {secret}", markup=False)


@channels_app.command("list")
def list_channels(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Endpoints with their events, state and last delivery (secrets are never shown)."""
    with session_scope(get_settings(), write=False) as session:
        rows = []
        for endpoint in webhooks.list_endpoints(session):
            last = webhooks.log(session, endpoint.id, limit=1)
            rows.append(
                {
                    "name": endpoint.name,
                    "url": endpoint.url,
                    "events": endpoint.events,
                    "paused": endpoint.paused,
                    "last_delivery": (
                        {
                            "event": last[0].event,
                            "status": last[0].status,
                            "attempts": last[0].attempts,
                            "last_status_code": last[0].last_status_code,
                        }
                        if last
                        else None
                    ),
                }
            )
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        state = "paused" if row["paused"] else "active"
        console.print(
            f"{row['name']}  {row['url']}  {','.join(row['events'])}  {state}  "  # type: ignore[arg-type]
            f"last: {row['last_delivery']}",
            markup=False,
        )


def _set_paused(name: str, paused: bool) -> None:
    try:
        with session_scope(get_settings()) as session:
            webhooks.get_endpoint(session, name).paused = paused
    except DomainError as exc:
        console.print(f"error: {exc.message}", markup=False)
        raise typer.Exit(2) from exc
    console.print(f"channel {name} {'paused' if paused else 'resumed'}", markup=False)


@channels_app.command("pause")
def pause_channel(name: str) -> None:
    """Stop queuing events for the endpoint (queued ones are still delivered)."""
    _set_paused(name, True)


@channels_app.command("resume")
def resume_channel(name: str) -> None:
    """Queue events for the endpoint again."""
    _set_paused(name, False)


@channels_app.command("remove")
def remove_channel(name: str) -> None:
    """Delete the endpoint and its delivery log."""
    try:
        with session_scope(get_settings()) as session:
            session.delete(webhooks.get_endpoint(session, name))
    except DomainError as exc:
        console.print(f"error: {exc.message}", markup=False)
        raise typer.Exit(2) from exc
    console.print(f"channel {name} removed", markup=False)


@channels_app.command("test")
def test_channel(name: str) -> None:
    """POST a signed channel.test event now and print the answer."""
    settings = get_settings()
    try:
        with session_scope(settings, write=False) as session:
            endpoint = webhooks.get_endpoint(session, name)
            code, answer = webhooks.send_test(settings, endpoint)
    except DomainError as exc:
        console.print(f"error: {exc.message}", markup=False)
        raise typer.Exit(2) from exc
    console.print(f"{name}: HTTP {code} {answer}", markup=False)
    if code is None or not 200 <= code < 300:
        raise typer.Exit(1)
