"""`smartinbox seed` and `smartinbox import`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.inbox import importer, seed, service
from smartinbox.inbox.schemas import MessageIn
from smartinbox.inbox.tasks import queue_analysis
from smartinbox.kit.csvout import CsvWriter
from smartinbox.worker import configure_queue, enqueue

console = Console()


def _ingest_chunks(messages: list[MessageIn]) -> tuple[int, int]:
    settings = get_settings()
    created = existing = 0
    for start in range(0, len(messages), 500):
        with session_scope(settings) as session:
            results = service.ingest_batch(
                session, settings, messages[start : start + 500], source="seed"
            )
            new_ids = [r.message.id for r in results if r.created]
            created += len(new_ids)
            existing += len(results) - len(new_ids)
            if new_ids:
                enqueue(session, queue_analysis, new_ids)
    return created, existing


def seed_command(
    count: Annotated[
        int, typer.Option(help="Also generate N realistic messages over past weeks.")
    ] = 0,
    days: Annotated[int, typer.Option(help="Spread generated messages over this many days.")] = 30,
    with_feedback: Annotated[
        bool,
        typer.Option(
            "--with-feedback",
            help="Analyse now, then add ratings, agent replies and overrides to seeded messages.",
        ),
    ] = False,
) -> None:
    """Insert demo messages of every kind through the normal ingest path (idempotent)."""
    configure_queue()
    created, existing = _ingest_chunks(seed.fixed_messages())
    if count:
        with Progress(
            TextColumn("seeding"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("seed", total=count)
            batch: list[MessageIn] = []
            for message in seed.generated_messages(count, days=days):
                batch.append(message)
                if len(batch) == 2000:
                    c, e = _ingest_chunks(batch)
                    created, existing = created + c, existing + e
                    bar.advance(task, len(batch))
                    batch = []
            if batch:
                c, e = _ingest_chunks(batch)
                created, existing = created + c, existing + e
                bar.advance(task, len(batch))
    console.print(
        f"seeded {created} new message(s); {existing} already present. Analysis is queued."
    )
    if with_feedback:
        from smartinbox.feedback.seed import add_feedback
        from smartinbox.worker import drain

        console.print(f"analysed {drain()} job(s) now, so every message has a suggestion")
        counts = add_feedback(get_settings())
        console.print(
            "feedback added: "
            + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none")
        )


def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSONL file.")
    ],
    text_col: Annotated[str, typer.Option(help="Column with the message text.")] = "body",
    subject_col: Annotated[str | None, typer.Option(help="Column with the subject.")] = None,
    customer_email_col: Annotated[
        str | None, typer.Option(help="Column with the customer e-mail.")
    ] = None,
    customer_name_col: Annotated[
        str | None, typer.Option(help="Column with the customer name.")
    ] = None,
    received_at_col: Annotated[
        str | None, typer.Option(help="Column with the time received (ISO 8601).")
    ] = None,
    reply_col: Annotated[str | None, typer.Option(help="Column with the agent's reply.")] = None,
    kind_col: Annotated[str | None, typer.Option(help="Column with a kind label.")] = None,
    topic_col: Annotated[str | None, typer.Option(help="Column with a topic label.")] = None,
    id_col: Annotated[
        str | None, typer.Option(help="Column with a unique id (else a content hash).")
    ] = None,
    channel: Annotated[
        str, typer.Option(help="Channel recorded on the imported messages.")
    ] = "import",
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: by extension).")
    ] = None,
    no_analyze: Annotated[
        bool, typer.Option("--no-analyze", help="Do not queue triage for imported rows.")
    ] = False,
    errors_out: Annotated[
        Path | None, typer.Option("--errors", help="Write every skipped row's problem to this CSV.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import message history. Bad rows are reported by line number and skipped; re-runs add nothing twice."""
    settings = get_settings()
    configure_queue(settings)
    cols = importer.ColumnMap(
        text=text_col,
        subject=subject_col,
        customer_email=customer_email_col,
        customer_name=customer_name_col,
        received_at=received_at_col,
        agent_reply=reply_col,
        kind=kind_col,
        topic=topic_col,
        external_id=id_col,
    )
    size = file.stat().st_size
    with Progress(
        TextColumn(f"importing {file.name}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=as_json,
    ) as bar:
        task = bar.add_task("import", total=size)
        try:
            report = importer.import_file(
                file,
                settings,
                cols,
                fmt=fmt,
                channel=channel,
                analyze=not no_analyze,
                on_bytes=lambda n: bar.advance(task, n),
            )
        except importer.ImportRefused as exc:
            bar.stop()
            console.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(1) from exc
        bar.update(task, completed=size)
    # Nothing imported although the file had rows: a failure for scripts, not a quiet success.
    failed = report.problems and report.created + report.existing == 0
    if errors_out:
        with errors_out.open("w", newline="", encoding="utf-8") as fh:
            writer = CsvWriter(fh)
            writer.writerow(["line", "error"])
            writer.writerows([p.line, p.message] for p in report.problems)
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        if failed:
            raise typer.Exit(1)
        return
    console.print(
        f"{report.rows} row(s): {report.created} imported, {report.existing} already present, {report.skipped} skipped"
    )
    for problem in report.problems[:20]:
        console.print(f"  line {problem.line}: {problem.message}")
    if len(report.problems) > 20:
        console.print(
            f"  … and {len(report.problems) - 20} more (use --errors FILE to list them all)"
        )
    if failed:
        console.print("[red]error:[/red] nothing was imported")
        raise typer.Exit(1)
