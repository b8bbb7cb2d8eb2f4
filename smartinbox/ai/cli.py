"""`smartinbox eval` (check the assistant on your own history) and `smartinbox train`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from smartinbox.config import get_settings

eval_app = typer.Typer(
    help="Measure the assistant on your own labelled history.", no_args_is_help=True
)
train_app = typer.Typer(help="Train the assistant on your own data.", no_args_is_help=True)
console = Console()

TrainCsv = Annotated[
    Path, typer.Option("--train", exists=True, dir_okay=False, help="CSV or JSONL to learn from.")
]
TestCsv = Annotated[
    Path | None,
    typer.Option(
        "--test",
        exists=True,
        dir_okay=False,
        help="CSV or JSONL to score on; without it a fifth of --train (seeded) is held out.",
    ),
]
OosThreshold = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Answers whose scope score (confidence x similarity to the nearest in-scope "
        "training message) is below this count as --oos-label. Without it the threshold is "
        "chosen, and a history with 20+ --oos-label rows gets a learned scope score.",
    ),
]
ValCsv = Annotated[
    Path | None,
    typer.Option(
        "--val",
        exists=True,
        dir_okay=False,
        help="CSV or JSONL (same columns) that, with out-of-fold scores of the training "
        "rows, chooses the scope score below which --oos-label applies (unless "
        "--oos-threshold gives one).",
    ),
]
FIELD_HELP = (
    "Triage field the labels are for: kind, topic, urgency (low/medium/high/critical, "
    "P1-P5 with P1 most urgent, or numbers, larger more urgent), sentiment "
    "(negative/neutral/positive or numbers) or spam (spam/ham, yes/no, 1/0, true/false)."
)
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
Limit = Annotated[int | None, typer.Option(help="Read at most this many rows of each file.")]


def _fail(message: str) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(2)


@eval_app.command("triage")
def eval_triage(
    train: TrainCsv,
    test: TestCsv = None,
    text_col: Annotated[str, typer.Option(help="Column with the customer message.")] = "text",
    label_col: Annotated[str, typer.Option(help="Column with the right label.")] = "label",
    field: Annotated[str, typer.Option(help=FIELD_HELP)] = "topic",
    oos_label: Annotated[str | None, typer.Option(help="Label meaning 'out of scope'.")] = None,
    oos_threshold: OosThreshold = None,
    val: ValCsv = None,
    limit: Limit = None,
    as_json: AsJson = False,
) -> None:
    """Train a head on --train exactly as `smartinbox train triage` would; score it on --test."""
    from smartinbox.ai.csv_eval import CsvColumnError, evaluate_triage, hold_out, read_columns
    from smartinbox.ai.custom_heads import CustomHeadError
    from smartinbox.ai.field_labels import LabelError, check_field
    from smartinbox.ai.metrics import ThresholdError
    from smartinbox.ai.registry import shared_embedder

    if (val is not None or oos_threshold is not None) and oos_label is None:
        _fail("--val and --oos-threshold set the out-of-scope threshold: give --oos-label too")
    try:
        check_field(field)
        train_rows = read_columns(train, [text_col, label_col], limit, numbered=True)
        if test is None:
            train_rows, test_rows = hold_out(train_rows, label_index=1)
        else:
            test_rows = read_columns(test, [text_col, label_col], limit, numbered=True)
        val_rows = read_columns(val, [text_col, label_col], limit) if val else None
        with console.status("embedding, training and scoring…"):
            result = evaluate_triage(
                [(t, lbl) for t, lbl, _ in train_rows],
                [(t, lbl) for t, lbl, _ in test_rows],
                shared_embedder(),
                field,
                oos_label,
                oos_threshold,
                [(t, lbl) for t, lbl in val_rows] if val_rows else None,
                train_names=[n for _, _, n in train_rows],
                test_names=[n for _, _, n in test_rows],
            )
    except (CsvColumnError, CustomHeadError, ThresholdError, LabelError) as exc:
        _fail(str(exc))
    result["test_file"] = _test_source(train, test)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    console.print(f"scored on {result['test_file']}")
    _refused(result["rows_refused"])
    _left_out(result["labels_left_out"])
    _regularisation(result["regularisation"])
    _summary_table(f"Triage: {field}", result, ["accuracy", "macro_f1"])
    if "ordinal" in result:
        _ordinal_table(field, result["ordinal"])
    if "spam_score" in result:
        console.print(f"spam probability ROC AUC: {result['spam_score']['roc_auc']}")
    labels = Table("label", "precision", "recall", "f1", "support", title="Per label")
    for name, row in result["labels"].items():
        labels.add_row(name, *(str(row[k]) for k in ("precision", "recall", "f1", "support")))
    console.print(labels)
    if "oos" in result:
        _oos_table(result)
    _calibration_table(result["calibration"])
    console.print(_throughput(result["throughput"]))


@eval_app.command("replies")
def eval_replies(
    train: TrainCsv,
    test: TestCsv = None,
    message_col: Annotated[str, typer.Option(help="Column with the customer message.")] = "message",
    reply_col: Annotated[str, typer.Option(help="Column with the reply the team sent.")] = "reply",
    judge_threshold: Annotated[float, typer.Option(help="Judge score counted as accepted.")] = 0.6,
    similarity_threshold: Annotated[
        float, typer.Option(help="Similarity to the team's reply counted as accepted.")
    ] = 0.8,
    target_precision: Annotated[
        float,
        typer.Option(help="Precision the auto-snooze threshold is chosen for (on the replay)."),
    ] = 0.8,
    limit: Limit = None,
    as_json: AsJson = False,
) -> None:
    """Suggest replies to --test messages from a memory of --train pairs; compare with the team's."""
    from smartinbox.ai.csv_eval import CsvColumnError, evaluate_replies, hold_out, read_columns
    from smartinbox.ai.judge import get_judge
    from smartinbox.ai.registry import shared_embedder
    from smartinbox.ai.training import ensure_models, load_local_engine

    try:
        train_rows = read_columns(train, [message_col, reply_col], limit, [reply_col])
        if test is None:
            train_rows, test_rows = hold_out(train_rows)
        else:
            test_rows = read_columns(test, [message_col, reply_col], limit, [reply_col])
    except CsvColumnError as exc:
        _fail(str(exc))
    models = get_settings().resolved_models_dir()
    with console.status("loading models…"):
        ensure_models(models)
        # A private copy: the memory is replaced by the --train pairs.
        engine = load_local_engine(models, embedder=shared_embedder())
    with console.status("suggesting and judging…"):
        result = evaluate_replies(
            [(m, r) for m, r in train_rows],
            [(m, r) for m, r in test_rows],
            engine,
            get_judge(),
            judge_threshold,
            similarity_threshold,
            target_precision,
        )
    result["test_file"] = _test_source(train, test)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    console.print(f"scored on {result['test_file']}")
    table = Table("measure", "mean", "median", "p10", title=f"Replies ({result['n']} messages)")
    for key in ("similarity_to_reference", "judge_score"):
        table.add_row(key, *(str(result[key][k]) for k in ("mean", "median", "p10")))
    console.print(table)
    acceptance = result["acceptance"]
    console.print(
        f"acceptance: estimated {acceptance['estimated']}, observed {acceptance['observed']} "
        f"(accepted: {acceptance['definition']})"
    )
    _calibration_table(result["calibration"])
    console.print(_replay_line(result["calibration_after_replay"]))
    console.print(_throughput(result["throughput"]))


def _replay_line(figures: dict[str, Any]) -> str:
    head = f"calibration fitted on a replay of {figures['replayed_pairs']} train pairs"
    if "skipped" in figures:
        return f"{head}: not fitted ({figures['skipped']})"
    line = f"{head} ({figures['method']}): ECE {figures['ece']} on the test messages"
    snooze = figures.get("auto_snooze")
    if snooze and snooze["threshold"] is not None:
        line += (
            f"; auto-snooze threshold {snooze['threshold']} for precision "
            f"{snooze['target_precision']} (replay precision {snooze['precision']}, "
            f"test precision {snooze['test_precision']} on {snooze['test_kept']} kept)"
        )
    elif snooze:
        line += f"; no threshold reaches precision {snooze['target_precision']} on the replay"
    return line


def _throughput(figures: dict[str, Any]) -> str:
    parts = [] if "training_s" not in figures else [f"training {figures['training_s']} s"]
    rate = figures.get("messages_per_s")
    parts.append(f"{rate} messages/s" if rate is not None else "messages/s not measured")
    return "throughput: " + ", ".join(parts)


@train_app.command("triage")
def train_triage(
    data: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Labelled CSV or JSONL.")],
    text_col: Annotated[str, typer.Option(help="Column with the customer message.")] = "text",
    label_col: Annotated[str, typer.Option(help="Column with the label.")] = "label",
    field: Annotated[str, typer.Option(help=FIELD_HELP)] = "topic",
    corrections: Annotated[
        bool, typer.Option(help="Add agents' corrections from the database as rows.")
    ] = True,
    oos_label: Annotated[
        str | None,
        typer.Option(help="Your label for 'not something we handle': marks it out of scope."),
    ] = None,
    oos_threshold: OosThreshold = None,
    val: ValCsv = None,
) -> None:
    """Train the team's own head for a triage field; the engine uses it from then on."""
    from smartinbox.ai.csv_eval import CsvColumnError, read_columns
    from smartinbox.ai.custom_heads import CORRECTION_WEIGHT, SCOPE_FOLDS, CustomHeadError
    from smartinbox.ai.field_labels import LabelError, check_field
    from smartinbox.ai.metrics import ThresholdError
    from smartinbox.ai.team_training import train_team_head
    from smartinbox.ai.training import ensure_models

    try:
        check_field(field)
        rows = read_columns(data, [text_col, label_col], numbered=True)
        val_rows = read_columns(val, [text_col, label_col]) if val else None
    except (CsvColumnError, LabelError) as exc:
        _fail(str(exc))
    texts, labels = [r[0] for r in rows], [r[1] for r in rows]
    names = [r[2] for r in rows]
    weights = [1.0] * len(rows)
    if corrections:
        extra = _corrections(field)
        texts += [t for t, _ in extra]
        labels += [v for _, v in extra]
        names += [f"correction {n}" for n in range(1, len(extra) + 1)]
        weights += [CORRECTION_WEIGHT] * len(extra)
        console.print(f"{len(rows)} rows from {data}, {len(extra)} from agents' corrections")
    models = get_settings().resolved_models_dir()
    try:
        folds = oos_label is not None and oos_threshold is None
        also = (
            f" and {SCOPE_FOLDS} out-of-fold heads for the out-of-scope threshold" if folds else ""
        )
        status = f"choosing the regularisation, training the {field} head{also}…"
        with console.status(status):
            ensure_models(models)
            manifest = train_team_head(
                models,
                field,
                texts,
                labels,
                weights,
                oos_label=oos_label,
                oos_threshold=oos_threshold,
                val=[(t, lbl) for t, lbl in val_rows] if val_rows else None,
                row_names=names,
            )
    except (CustomHeadError, ThresholdError) as exc:
        _fail(str(exc))
    head = manifest["custom_heads"][field]
    _refused(head.get("rows_refused", []), head.get("rows_refused_count"))
    _left_out(head["labels_left_out"])
    _regularisation(head["regularisation"])
    if "oos_label" in head:
        on = head.get("oos_threshold_chosen", {}).get("chosen_on", "given")
        console.print(
            f"out of scope: {head['oos_label']!r}, or any answer whose {head['oos_score']} is "
            f"below {head['oos_threshold']}" + ("" if on == "given" else f" (chosen on {on})")
        )
    console.print(
        f"{field} head trained on {head['rows']} rows, {len(head['labels'])} labels; "
        f"models version {manifest['version']}"
    )


def _test_source(train: Path, test: Path | None) -> str:
    return str(test) if test else f"a fifth of {train} held out (seed 0)"


def _regularisation(chosen: dict[str, Any]) -> None:
    scores = ", ".join(f"{_cand(c)}: {f1}" for c, f1 in chosen["macro_f1_by_c"].items())
    inputs = chosen.get("inputs", "combined")
    reads = "MiniLM sentence vector" if inputs == "sentence" else "TF-IDF + MiniLM + style"
    console.print(
        f"features: {reads}; regularisation C = {chosen['c']:g} ({chosen['chosen_on']}"
        + (f"; held-out macro-F1 {scores})" if scores else ")")
    )


def _refused(messages: list[str], count: int | None = None) -> None:
    """Rows left out because their label cannot be read, each named (at most 20 shown)."""
    total = len(messages) if count is None else count
    if total:
        console.print(f"[yellow]{total} rows left out, their label cannot be read:[/yellow]")
        for message in messages[:20]:
            console.print(f"[yellow]  {message}[/yellow]", soft_wrap=True)
        if total > 20:
            console.print(f"[yellow]  and {total - 20} more[/yellow]")


def _ordinal_table(field: str, figures: dict[str, Any]) -> None:
    """Spearman rank correlation and ROC AUC of the head's score against ordinal labels."""
    table = Table("measure", "value", title=f"How the {field} score ranks the labels")
    table.add_row("Spearman rank correlation", str(figures["spearman"]))
    for key in ("roc_auc_high_vs_rest", "roc_auc_negative_vs_rest"):
        if key in figures:
            table.add_row(key.replace("_", " ").replace("roc auc", "ROC AUC"), str(figures[key]))
    for cut, value in figures["roc_auc_by_cut"].items():
        table.add_row(f"ROC AUC, label {cut} vs below", str(value))
    console.print(table)


def _cand(key: str) -> str:
    """A candidate of the cross-validated choice: "C 4" or "sentence C 4"."""
    name, _, c = key.rpartition(" ")
    return f"{name} C {c}" if name else f"C {c}"


def _left_out(labels: dict[str, int]) -> None:
    if labels:
        listed = ", ".join(f"{label} ({n})" for label, n in list(labels.items())[:20])
        more = f" and {len(labels) - 20} more" if len(labels) > 20 else ""
        console.print(f"[yellow]left out, too few rows to learn (rows): {listed}{more}[/yellow]")


@train_app.command("calibration")
def train_calibration() -> None:
    """Fit the suggestion confidence on agents' real accept/replace decisions and ratings."""
    from smartinbox.ai.team_training import store_calibration
    from smartinbox.db import session_scope
    from smartinbox.feedback.outcomes import acceptance_outcomes

    with session_scope(write=False) as session:
        confidence, accepted = acceptance_outcomes(session)
    manifest = store_calibration(get_settings().resolved_models_dir(), confidence, accepted)
    if manifest is None:
        console.print(f"{len(accepted)} outcomes: not enough yet; the shipped prior stays")
    else:
        console.print(f"calibration fitted: {manifest['calibration']}")


def _corrections(field: str) -> list[tuple[str, str]]:
    from sqlalchemy.exc import SQLAlchemyError

    from smartinbox.db import session_scope
    from smartinbox.inbox.corrections import training_rows

    try:
        with session_scope(write=False) as session:
            return training_rows(session, field)
    except SQLAlchemyError as exc:
        # A team may train before it has an inbox database (or on another machine).
        console.print(f"[yellow]no corrections read from the database: {exc.__class__.__name__}")
        return []


def _summary_table(title: str, result: dict[str, Any], keys: list[str]) -> None:
    table = Table("measure", "value", title=f"{title} ({result['n']} test rows)")
    for key in keys:
        table.add_row(key, str(result[key]))
    console.print(table)


def _oos_table(result: dict[str, Any]) -> None:
    oos = result["oos"]
    chosen = result.get("oos_threshold_chosen", {})
    on = chosen.get("chosen_on", "given")
    where = "" if on == "given" else f" chosen on {on}"
    table = Table(
        "rows", "OOS recall", "OOS precision", "in-scope accuracy",
        title=f"Out of scope (label {oos['label']!r}, or {oos['score']} below "
        f"{oos['threshold']}{where})",
    )  # fmt: skip
    rows = [
        (name, {"recall": row["oos_recall"], "in_scope_accuracy": row["in_scope_accuracy"]})
        for name, row in (("training folds", chosen.get("on_training_folds")),
                          ("--val", chosen.get("on_val")))
        if row
    ]  # fmt: skip
    for name, row in [*rows, ("--test", oos)]:
        figures = (row.get(k) for k in ("recall", "precision", "in_scope_accuracy"))
        table.add_row(name, *("-" if v is None else str(v) for v in figures))  # no such rows
    console.print(table)


def _calibration_table(calibration: dict[str, Any]) -> None:
    table = Table(
        "confidence bin", "n", "mean confidence", "observed",
        title=f"Calibration (expected calibration error {calibration['ece']})",
    )  # fmt: skip
    for row in calibration["bins"]:
        table.add_row(row["bin"], str(row["n"]), str(row["confidence"]), str(row["accuracy"]))
    console.print(table)
