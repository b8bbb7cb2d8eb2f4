"""`smartinbox analytics`: generate a realistic year, rebuild and inspect the roll-ups."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from smartinbox.analytics import generator, rollups
from smartinbox.analytics import repository as repo
from smartinbox.analytics.tasks import run_rebuild, run_refresh
from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.models import AssistantVersion, User

analytics_app = typer.Typer(help="Dashboards: roll-ups and generated data.", no_args_is_help=True)
console = Console()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console,
    )  # fmt: skip


def _context(count: int, seed: int) -> generator.Context:
    settings = get_settings()
    with session_scope(settings) as session:
        agents = repo.ensure_rows(session, User, "email", [
            {"email": f"agent{i:02d}@generated.example", "name": f"Agent {i:02d}", "role": "agent"}
            for i in range(1, generator.AGENTS + 1)
        ])  # fmt: skip
        versions = repo.ensure_rows(session, AssistantVersion, "version_tag", [
            {"version_tag": f"gen-v{i}", "description": "generated", "status": "retired"}
            for i in range(1, generator.VERSIONS + 1)
        ])  # fmt: skip
        first = repo.next_ids(session, ["customers", *generator.COLUMNS])
        now = datetime.now(UTC)
        customers = [
            (first["customers"] + k, f"gen{first['customers']}-{k}@generated.example", "", now)
            for k in range(max(1, count // 4))
        ]
        repo.bulk_insert(session, "customers", ("id", "email", "name", "created_at"), customers)
        repo.sync_sequences(session, ["customers"])
    return generator.Context(
        first_id=first,
        agent_ids=agents,
        version_ids=versions,
        customer_ids=[c[0] for c in customers],
        prefix=f"gen{first['messages']}",
    )


@analytics_app.command("generate")
def generate(
    messages: Annotated[int, typer.Option("--messages", min=1, help="How many messages.")],
    with_feedback: Annotated[
        bool, typer.Option("--with-feedback", help="Also agent replies and ratings.")
    ] = False,
    days: Annotated[int, typer.Option(min=1, help="Spread over this many days to now.")] = 365,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 42,
) -> None:
    """Bulk-load a realistic year of messages, then rebuild the roll-ups."""
    settings = get_settings()
    started = time.perf_counter()
    ctx = _context(messages, seed)
    batches = generator.generate(
        messages, ctx, days=days, end=datetime.now(UTC), with_feedback=with_feedback, seed=seed
    )
    counts = dict.fromkeys(generator.COLUMNS, 0)
    with _progress() as bar:
        task = bar.add_task("loading messages", total=messages)
        for batch in batches:
            with session_scope(settings) as session:
                repo.skip_triggers(session)
                for table, columns in generator.COLUMNS.items():
                    repo.bulk_insert(session, table, columns, batch.rows[table])
                    counts[table] += len(batch.rows[table])
            bar.advance(task, len(batch.rows["messages"]))
        with session_scope(settings) as session:
            repo.sync_sequences(session, generator.COLUMNS)
        loaded = time.perf_counter() - started
        task = bar.add_task("building roll-ups", total=None)
        run_rebuild(settings, lambda done, total: bar.update(task, completed=done, total=total))
    typer.echo(json.dumps({
        **counts, "load_s": round(loaded, 1), "total_s": round(time.perf_counter() - started, 1),
    }))  # fmt: skip


@analytics_app.command("rebuild")
def rebuild() -> None:
    """Recompute every roll-up from the source tables (after changing the team timezone)."""
    settings = get_settings()
    with _progress() as bar:
        task = bar.add_task("building roll-ups", total=None)
        run_rebuild(settings, lambda done, total: bar.update(task, completed=done, total=total))
    console.print("roll-ups rebuilt")


@analytics_app.command("refresh")
def refresh() -> None:
    """Recompute the days changed since the last refresh (the worker does this every minute)."""
    days = run_refresh(get_settings())
    console.print("rebuilt" if days < 0 else f"{days} day(s) recomputed")


@analytics_app.command("status")
def status() -> None:
    """Whether the roll-ups match the settings, and whether changes wait for a refresh."""
    settings = get_settings()
    with session_scope(settings, write=False) as session:
        typer.echo(json.dumps(rollups.status(session, settings), indent=2, default=str))
