"""`smartinbox stress-test`: replay real interactions through live and a candidate version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.evaluation import stress
from smartinbox.kit.errors import DomainError

console = Console(stderr=True)


def stress_test(
    queries: Annotated[
        Path | None, typer.Option(help="CSV of queries to replay (column 'message').")
    ] = None,
    since: Annotated[
        int | None, typer.Option(help="Days back to take interactions rated 'no'.", min=1)
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Most interactions to replay.", min=1)] = None,
    candidate: Annotated[
        str | None, typer.Option(help="Candidate version tag (default: the newest candidate).")
    ] = None,
    resume: Annotated[
        int | None, typer.Option(help="Finish an interrupted run by its id.", min=1)
    ] = None,
    allow_overlap: Annotated[
        bool,
        typer.Option(
            "--allow-overlap",
            help="Run even on queries from the candidate's training data; the run is marked "
            "and the promotion gate refuses it.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Replay interactions through the live and a candidate version and judge both replies.

    Only interactions newer than the candidate's training data are replayed (the time split is
    recorded in the report)."""
    settings = get_settings()
    since_days = since or settings.stress_test_since_days
    cap = limit or settings.stress_test_limit
    try:
        run_id = resume
        if run_id is None:
            with session_scope(settings) as session:
                live, cand = stress.resolve_versions(session, candidate)
                if queries is not None:
                    items = stress.from_csv(queries, cap)
                    params = {"source": "csv", "file": queries.name, "limit": cap}
                else:
                    items = stress.from_replays(session, since_days, cap)
                    params = {"source": "replay", "since_days": since_days, "limit": cap}
                run_id = stress.start(
                    session, items, live, cand, params, allow_overlap=allow_overlap
                ).id
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=console, disable=as_json,
        ) as bar:  # fmt: skip
            task = bar.add_task(f"stress test #{run_id}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, advance=done, total=total)

            summary = stress.execute(settings, run_id, progress)
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    if as_json:
        print(json.dumps(summary, sort_keys=True))
        return
    out = Console()
    out.print(
        f"run {run_id}: {summary['rows']} rows, {summary['wins']} wins / {summary['ties']} ties "
        f"/ {summary['losses']} losses; mean score live {summary['mean_score_live']:.3f}, "
        f"candidate {summary['mean_score_candidate']:.3f} (difference 95% interval "
        f"{summary['mean_diff_ci95']}); p95 latency {summary['p95_latency_ms']:.1f} ms"
    )
    split = summary.get("time_split") or {}
    if split.get("overlap"):
        out.print(
            f"[red]marked: {split['overlap']} interactions are in the candidate's training data; "
            "the promotion gate will not accept this run[/red]"
        )
    elif split:
        out.print(
            f"time split: trained until {split.get('trained_until') or 'unknown'}, "
            f"{split.get('excluded', 0)} interactions from its training data left out"
        )


harness_app = typer.Typer(
    invoke_without_command=True,
    help='Run simulated bad replies through "generate improved reply"; list and show runs.',
)


@harness_app.callback()
def harness(
    ctx: typer.Context,
    count: Annotated[int, typer.Option(help="Simulated bad replies to correct.", min=1)] = 120,
    candidate: Annotated[
        str | None, typer.Option(help="Candidate version tag for the drift check.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the failure generator.")] = 0,
    resume: Annotated[
        int | None, typer.Option(help="Finish an interrupted run by its id.", min=1)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run simulated bad replies through "generate improved reply"; fail on too much drift.

    The run and every case are stored: `smartinbox harness list` and `show RUN_ID` print
    them again.
    """
    if ctx.invoked_subcommand is not None:
        return
    from smartinbox.evaluation import harness as harness_run

    settings = get_settings()
    try:
        run_id = resume
        if run_id is None:
            with session_scope(settings) as session:
                live, cand = stress.resolve_versions(session, candidate)
                failures = harness_run.failures_from(session, count, seed)
                if not failures:
                    console.print("[red]no answered interactions to build failures from[/red]")
                    raise typer.Exit(1)
                params = {"count": count, "seed": seed}
                run_id = harness_run.start(session, failures, live, cand, params).id
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=console, disable=as_json,
        ) as bar:  # fmt: skip
            task = bar.add_task(f"harness #{run_id}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, advance=done, total=total)

            result = harness_run.execute(settings, run_id, progress=progress)
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    if as_json:
        print(json.dumps(result, sort_keys=True))
    else:
        Console().print(
            f"run {run_id}: {result['cases']} cases: judge score "
            f"{result['score_before_mean']:.3f} -> {result['score_after_mean']:.3f}, fixed "
            f"{result['share_fixed']:.0%}; p95 {result['latency_ms']['p95']:.1f} ms; drift "
            f"{result['drift']['max']:.3f} ({'ok' if result['passed'] else 'FAILED'})"
        )
    if not result["passed"]:
        raise typer.Exit(2)


@harness_app.command("list")
def harness_list(
    limit: Annotated[int, typer.Option(help="Most runs to list, newest first.", min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON.")] = False,
) -> None:
    """Stored harness runs, newest first."""
    from smartinbox.evaluation import harness as harness_run

    with session_scope(get_settings(), write=False) as session:
        runs = harness_run.list_runs(session, limit)
    if as_json:
        print(json.dumps(runs, sort_keys=True))
        return
    out = Console()
    for r in runs:
        figures = (
            f"{r['cases']} cases, {r['score_before_mean']:.3f} -> {r['score_after_mean']:.3f}, "
            f"fixed {r['share_fixed']:.0%}, {'passed' if r['passed'] else 'FAILED'}"
            if r["status"] == "finished"
            else f"{r['planned']} planned"
        )
        out.print(f"#{r['run_id']} {r['created_at'][:16]} {r['live']} vs {r['candidate']} "
                  f"{r['status']}: {figures}")  # fmt: skip


@harness_app.command("show")
def harness_show(
    run_id: Annotated[int, typer.Argument(help="The run's id (see `harness list`).", min=1)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run and its cases as JSON.")
    ] = False,
) -> None:
    """One stored harness run: its report and every case with its improvement."""
    from smartinbox.evaluation import harness as harness_run

    try:
        with session_scope(get_settings(), write=False) as session:
            data = harness_run.show(session, run_id)
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    if as_json:
        print(json.dumps(data, sort_keys=True))
        return
    out = Console()
    report = data["report"]
    out.print(f"harness run #{run_id}: {data['live']} vs {data['candidate']}, {data['status']}")
    if report:
        out.print(
            f"judge score {report['score_before_mean']:.3f} -> {report['score_after_mean']:.3f}, "
            f"fixed {report['share_fixed']:.0%}; drift {report['drift']['max']:.3f}"
        )
    for c in data["cases"]:
        mark = "fixed" if c["fixed"] else "not fixed"
        out.print(f"  {c['position']:>4} {c['kind']:<20} {c['score_before']:.2f} -> "
                  f"{c['score_after']:.2f} {mark} ({c['latency_ms']:.1f} ms)")  # fmt: skip


def eval_judge(
    data: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="CSV of rated replies (default: the database)."
        ),
    ] = None,
    message_col: Annotated[str, typer.Option(help="CSV column with the customer message.")] = (
        "message"
    ),
    reply_col: Annotated[str, typer.Option(help="CSV column with the rated reply.")] = "reply",
    rating_col: Annotated[
        str, typer.Option(help="CSV column with the rating: yes/no (thumbs) or 1-5 stars.")
    ] = "rating",
    reference_col: Annotated[
        str | None, typer.Option(help="CSV column with a reference reply (optional).")
    ] = None,
    with_reference: Annotated[
        bool,
        typer.Option(help="Database: judge against the reply the agent sent, where there is one."),
    ] = False,
    limit: Annotated[int | None, typer.Option(help="Most ratings to read.", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """How well the judge agrees with agents' ratings: AUC, counts, scores per rating."""
    from rich.table import Table

    from smartinbox.evaluation import judge_agreement as agreement
    from smartinbox.feedback.reviewers import judge_for, judge_provenance

    settings = get_settings()
    try:
        if data is not None:
            rated = agreement.from_csv(
                data, message_col, reply_col, rating_col, reference_col, limit
            )
            source: dict[str, object] = {"source": "csv", "file": data.name}
        else:
            with session_scope(settings, write=False) as session:
                rated = agreement.from_database(session, with_reference, limit)
            source = {"source": "database", "with_reference": with_reference}
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    if not rated:
        console.print("[red]no rated replies to judge[/red]")
        raise typer.Exit(2)
    judge = judge_for(settings)
    with console.status(f"judging {len(rated)} replies…"):
        scores = agreement.judge_all(judge, rated)
    result = {**source, "judge": judge_provenance(judge), **agreement.agreement(rated, scores)}
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    out = Console()
    for name in ("thumbs", "stars"):
        block = result[name]
        auc = "n/a (needs both useful and not useful)" if block["auc"] is None else block["auc"]
        out.print(
            f"{name}: AUC {auc} · {block['useful']} useful, {block['not_useful']} not useful"
            + (f", {block['neutral']} neutral (3 stars)" if name == "stars" else "")
        )
    table = Table("rating", "n", "mean", "median", "p10", "p90", title="Judge score per rating")
    for rating, spread in result["by_rating"].items():
        table.add_row(
            rating, *(str(spread.get(k, "")) for k in ("n", "mean", "median", "p10", "p90"))
        )
    out.print(table)
    judged_by = result["judge"]
    out.print(
        f"{result['ratings']} ratings judged by {judged_by['provider']} ({judged_by['model']})"
    )
