"""`smartinbox export ...` and `smartinbox retrain`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.feedback import exports
from smartinbox.feedback.schemas import ReplayFilters
from smartinbox.kit.errors import DomainError
from smartinbox.kit.timeutil import parse_datetime

export_app = typer.Typer(help="Export feedback and training data.", no_args_is_help=True)
console = Console(stderr=True)

Out = Annotated[Path, typer.Option("--out", help="File to write (replaced atomically).")]
Since = Annotated[str | None, typer.Option(help="Only rows since this date/time (ISO 8601).")]
Version = Annotated[str | None, typer.Option(help="Only this assistant version tag.")]
Redact = Annotated[
    bool | None,
    typer.Option(
        "--redact-pii/--no-redact-pii",
        help="Redact e-mails, phone and card numbers (default from SMARTINBOX_EXPORT_REDACT_PII).",
    ),
]


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise typer.BadParameter(f"--since: not an ISO date: {value}") from exc


def _finish(report: exports.ExportReport) -> None:
    typer.echo(json.dumps(report.to_dict()))


@export_app.command("training")
def export_training(
    out: Out,
    fmt: Annotated[str, typer.Option("--format", help="jsonl (OpenAI chat) or csv.")] = "jsonl",
    since: Since = None,
    version: Version = None,
    min_not_useful: Annotated[
        int | None, typer.Option(help="Only examples with more than N 'not useful' ratings.")
    ] = None,
    redact_pii: Redact = None,
) -> None:
    """Training examples as validated OpenAI chat JSONL, or CSV; prints the report as JSON."""
    if fmt not in ("jsonl", "csv"):
        raise typer.BadParameter("--format must be jsonl or csv")
    settings = get_settings()
    redact = settings.export_redact_pii if redact_pii is None else redact_pii
    query = exports.TrainingQuery(_since(since), version, min_not_useful, redact)
    try:
        with session_scope(settings, write=False) as session:
            report = exports.export_training(session, settings, fmt, out, query)  # type: ignore[arg-type]
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        if exc.extra:
            typer.echo(json.dumps(exc.extra))
        raise typer.Exit(1) from exc
    _finish(report)


@export_app.command("feedback")
def export_feedback(
    out: Out,
    fmt: Annotated[str, typer.Option("--format", help="csv.")] = "csv",
    since: Since = None,
    version: Version = None,
    feedback: Annotated[str | None, typer.Option(help="yes or no: only these ratings.")] = None,
    redact_pii: Redact = None,
) -> None:
    """The feedback log (message, AI reply, agent reply, rating with its score and notes) as CSV."""
    if fmt != "csv":
        raise typer.BadParameter("--format must be csv")
    if feedback not in (None, "yes", "no"):
        raise typer.BadParameter("--feedback must be yes or no")
    settings = get_settings()
    redact = settings.export_redact_pii if redact_pii is None else redact_pii
    filters = ReplayFilters(feedback=feedback, version=version, since=_since(since))
    try:
        with session_scope(settings, write=False) as session:
            report = exports.export_feedback(session, out, filters, redact)
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    _finish(report)


def retrain_command(
    provider: Annotated[
        str | None, typer.Option(help="local or openai (default from SMARTINBOX_RETRAIN_PROVIDER).")
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Only poll the fine-tuning job an earlier run left unfinished; start nothing new.",
        ),
    ] = False,
) -> None:
    """Collect the worst prompts, export them, retrain to a candidate version (prints JSON).

    With the openai provider, a fine-tuning job an earlier run left running is resumed (polled
    to its end) instead of starting another."""
    from smartinbox.feedback.retrain import run

    if provider not in (None, "local", "openai"):
        raise typer.BadParameter("--provider must be local or openai")
    if resume and provider == "local":
        raise typer.BadParameter("--resume applies to fine-tuning jobs (--provider openai)")
    settings = get_settings()
    with console.status("retraining…") as status:

        def progress(step: str, fraction: float) -> None:
            status.update(f"retraining: {step} ({fraction:.0%})")

        result = run(settings, provider=provider, resume_only=resume, progress=progress)
    typer.echo(json.dumps(result.to_dict(), default=str))
    if result.status in ("failed",):
        raise typer.Exit(1)
