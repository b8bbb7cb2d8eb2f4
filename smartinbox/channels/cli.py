"""`smartinbox mail import FILE.eml|MBOX`."""

from __future__ import annotations

import json
import mailbox
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from smartinbox.channels import email_in
from smartinbox.channels import tasks as _tasks  # noqa: F401  (the reply-delivery hook)
from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.inbox.tasks import queue_analysis
from smartinbox.kit.errors import DomainError
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
