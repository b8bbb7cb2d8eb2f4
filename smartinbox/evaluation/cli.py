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
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Replay interactions through the live and a candidate version and judge both replies."""
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
                run_id = stress.start(session, items, live, cand, params).id
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


def harness(
    count: Annotated[int, typer.Option(help="Simulated bad replies to correct.", min=1)] = 120,
    candidate: Annotated[
        str | None, typer.Option(help="Candidate version tag for the drift check.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the failure generator.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run simulated bad replies through "generate improved reply"; fail on too much drift."""
    from smartinbox.evaluation import harness as harness_run
    from smartinbox.versions.engines import engine_for_version

    settings = get_settings()
    try:
        with session_scope(settings) as session:
            live, cand = stress.resolve_versions(session, candidate)
            failures = harness_run.failures_from(session, count, seed)
            versions = (live.id, dict(live.artifacts)), (cand.id, dict(cand.artifacts))
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    if not failures:
        console.print("[red]no answered interactions to build failures from[/red]")
        raise typer.Exit(1)
    engines = [engine_for_version(settings, vid, arts) for vid, arts in versions]
    result = harness_run.run(settings, failures, engines[0], engines[1])
    if as_json:
        print(json.dumps(result, sort_keys=True))
    else:
        Console().print(
            f"{result['cases']} cases: judge score {result['score_before_mean']:.3f} -> "
            f"{result['score_after_mean']:.3f}, fixed {result['share_fixed']:.0%}; p95 "
            f"{result['latency_ms']['p95']:.1f} ms; drift {result['drift']['max']:.3f} "
            f"({'ok' if result['passed'] else 'FAILED'})"
        )
    if not result["passed"]:
        raise typer.Exit(2)


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
