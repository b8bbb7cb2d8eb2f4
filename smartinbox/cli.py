"""The `smartinbox` command. Each domain adds its own sub-commands."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from smartinbox.ai.cli import eval_app, train_app
from smartinbox.analytics.cli import analytics_app
from smartinbox.auth.cli import tokens_app, users_app
from smartinbox.channels.cli import channels_app, mail_app
from smartinbox.config import Settings, get_settings
from smartinbox.evaluation.cli import eval_judge, harness_app, stress_test
from smartinbox.feedback.cli import export_app, retrain_command
from smartinbox.inbox.cli import import_command, seed_command
from smartinbox.kit.files import private_umask
from smartinbox.memory.cli import memory_app
from smartinbox.versions.cli import versions_app

app = typer.Typer(help="SmartInbox: an AI-augmented support inbox.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
models_app = typer.Typer(help="Local AI models.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(mail_app, name="mail")
app.add_typer(channels_app, name="channels")
app.add_typer(tokens_app, name="tokens")
app.add_typer(models_app, name="models")
app.add_typer(jobs_app, name="jobs")
app.add_typer(export_app, name="export")
app.add_typer(versions_app, name="versions")
app.add_typer(memory_app, name="memory")
app.add_typer(analytics_app, name="analytics")
eval_app.command("judge")(eval_judge)
app.add_typer(eval_app, name="eval")
app.add_typer(train_app, name="train")
app.command("seed")(seed_command)
app.command("retrain")(retrain_command)
app.command("import")(import_command)
app.command("stress-test")(stress_test)
app.add_typer(harness_app, name="harness")
console = Console()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations (creates the SQLite file when needed)."""
    from smartinbox.migrations import runner

    runner.upgrade(revision=revision)
    console.print(f"database at revision {runner.current()}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or 'base'.")],
) -> None:
    from smartinbox.migrations import runner

    runner.downgrade(revision=revision)
    console.print(f"database at revision {runner.current()}")


@models_app.command("train")
def models_train(force: bool = typer.Option(False, help="Retrain even if models exist.")) -> None:
    """Train the local triage and reply models from the bundled data."""
    from smartinbox.ai.training import ensure_models, train_default_models

    settings = get_settings()
    target = settings.resolved_models_dir()
    with console.status("training local models…") as status:

        def progress(step: str, fraction: float) -> None:
            status.update(f"training local models: {step} ({fraction:.0%})")

        manifest = (
            train_default_models(target, progress) if force else ensure_models(target, progress)
        )
    console.print(f"models ready in {target} (version {manifest.get('version')})")


@jobs_app.command("drain")
def jobs_drain() -> None:
    """Run every queued job now, in this process (no worker needed)."""
    from smartinbox.worker import configure_queue, drain

    configure_queue()
    console.print(f"ran {drain()} job(s)")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Leave jobs to `smartinbox worker` processes.")
    ] = False,
) -> None:
    """Serve the web app and API (with the embedded worker unless --no-worker)."""
    import uvicorn

    from smartinbox.app import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings, embedded_worker=not no_worker),
        host=host,
        port=port,
        **server_options(settings),
    )


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options from the settings. Proxy headers are believed only from
    `trusted_proxies`: uvicorn's own default trusts X-Forwarded-For from 127.0.0.1."""
    trusted = ",".join(p.strip() for p in settings.trusted_proxies.split(",") if p.strip())
    return {
        "log_config": None,
        "timeout_graceful_shutdown": int(settings.shutdown_grace_s),
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or "",
    }


@app.command()
def worker(
    threads: Annotated[
        int | None, typer.Option(min=1, max=64, help="Worker threads (SMARTINBOX_WORKER_THREADS).")
    ] = None,
) -> None:
    """Run a standalone job worker (scale out: run many, against Redis and PostgreSQL)."""
    from smartinbox.logging_setup import setup_logging
    from smartinbox.worker import run_worker

    settings = get_settings()
    if threads is not None:
        # The process's one Settings: the models' thread count follows the worker threads.
        settings.worker_threads = threads
    setup_logging(settings.log_level, settings.log_json)
    if settings.train_on_start:
        from smartinbox.ai.training import ensure_models

        ensure_models(settings.resolved_models_dir())
    run_worker(settings, threads=threads)


@app.command("config")
def show_config(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="The reference table of docs/configuration.md.")
    ] = False,
) -> None:
    """Every setting, its current value and what it does (secrets hidden)."""
    if markdown:
        typer.echo("| variable | default | description |\n| --- | --- | --- |")
        for name, field in Settings.model_fields.items():
            default = field.default if field.default is not None else ""
            typer.echo(f"| `SMARTINBOX_{name.upper()}` | `{default}` | {field.description} |")
        return
    settings = get_settings()
    rows = []
    for name, field in Settings.model_fields.items():
        value = settings.display_value(name)
        rows.append(
            {
                "env": f"SMARTINBOX_{name.upper()}",
                "value": str(value),
                "description": field.description,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        console.print(f"[bold]{row['env']}[/bold] = {row['value']}\n    {row['description']}")


def main() -> None:
    private_umask()  # the database, queue, exports and models it creates are 0600 / 0700
    app()


if __name__ == "__main__":
    main()
