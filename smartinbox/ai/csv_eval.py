"""Checking the assistant on a team's own history: any CSV (or JSONL), mapped by column names.

`evaluate_triage` trains the head a team would get from `smartinbox train triage` on one file
and scores it on another. `evaluate_replies` fills the reply memory with one file's message and
reply pairs and compares each suggestion for the other file's messages with the reply the team
actually sent.

A suggestion counts as *accepted* for calibration when the local judge, given the team's reply
as reference, scores it at least `judge_threshold` (default 0.6), or when its MiniLM cosine
similarity to the team's reply is at least `similarity_threshold` (default 0.8): either says an
agent would have sent it with at most light edits.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from smartinbox.ai.custom_heads import CustomHead, CustomHeadError, describe, train_on_usable_rows
from smartinbox.ai.embedder import MiniLMEmbedder
from smartinbox.ai.field_labels import SCORED_FIELDS, read_labels
from smartinbox.ai.metrics import auc, classification_report, reliability, with_oos_threshold
from smartinbox.kit.text import visible_text

JUDGE_ACCEPT = 0.6
SIMILARITY_ACCEPT = 0.8
# Train pairs `eval replies` replays to fit its calibration (each fold answered by the others).
REPLAY_LIMIT = 600


class CsvColumnError(ValueError):
    """A named column is not in the file, or the file has no usable rows."""


# A long e-mail with its quoted thread easily passes the csv module's 128 KiB field limit.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
DELIMITERS = ",;\t|"
JSONL_SUFFIXES = (".jsonl", ".ndjson")
SNIFF_CHARS = 64 * 1024


def read_columns(
    path: Path,
    columns: Sequence[str],
    limit: int | None = None,
    replies: Sequence[str] = (),
    numbered: bool = False,
) -> list[list[str]]:
    """The named columns of every row with all of them non-empty (a file may be large).

    Files come from whatever a team's help desk or spreadsheet exported: UTF-8 (with or without
    a byte-order mark) or, failing that, Windows-1252; separated by commas, semicolons, tabs or
    pipes (sniffed); column names matched exactly, else ignoring case and surrounding spaces.
    A `.jsonl` or `.ndjson` file (what `smartinbox import` reads) is one JSON object per line,
    its keys the columns. An HTML value (an e-mail body) becomes its visible text, as the inbox reads an HTML
    message; in the `replies` columns with its lines and paragraphs, as a reply is sent.
    With `numbered`, each row ends with where it is in the file ("row 12": the twelfth record
    after the header; "line 12" of a JSONL file), for messages about one row.
    """
    keep_lines = [c in replies for c in columns]
    if Path(path).suffix.lower() in JSONL_SUFFIXES:
        rows = _read_jsonl(path, columns, limit, keep_lines)
    else:
        try:
            rows = _read_columns(path, columns, limit, "utf-8-sig", "strict", keep_lines)
        except UnicodeDecodeError:
            # Not UTF-8: an Excel export on Windows. cp1252 leaves five bytes undefined; those
            # become U+FFFD rather than stopping the run.
            rows = _read_columns(path, columns, limit, "cp1252", "replace", keep_lines)
    return rows if numbered else [row[:-1] for row in rows]


def _read_columns(
    path: Path,
    columns: Sequence[str],
    limit: int | None,
    encoding: str,
    errors: str,
    keep_lines: Sequence[bool],
) -> list[list[str]]:
    rows: list[list[str]] = []
    with Path(path).open(encoding=encoding, errors=errors, newline="") as handle:
        sample = handle.read(SNIFF_CHARS)
        delimiter = _delimiter(path, sample, columns)
        handle.seek(0)  # the codec skips a byte-order mark again
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, [])
        index = [_column_index(header, c) for c in columns]
        for number, record in enumerate(reader, 1):
            values = [
                visible_text(record[i] if i < len(record) else "", lines).strip()
                for i, lines in zip(index, keep_lines, strict=True)
            ]
            if all(values):
                rows.append([*values, f"row {number}"])
                if limit and len(rows) >= limit:
                    break
    if not rows:
        raise CsvColumnError(f"{path}: no row has a value in every column {', '.join(columns)}")
    return rows


def _read_jsonl(
    path: Path, columns: Sequence[str], limit: int | None, keep_lines: Sequence[bool]
) -> list[list[str]]:
    rows: list[list[str]] = []
    keys: dict[str, None] = {}  # every key seen, in order: for the error when nothing matched
    with Path(path).open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CsvColumnError(f"{path}, line {number}: invalid JSON ({exc.msg})") from exc
            if not isinstance(record, dict):
                raise CsvColumnError(f"{path}, line {number}: not a JSON object")
            if len(keys) < 1000:
                keys.update(dict.fromkeys(str(k) for k in record))
            values = [
                visible_text(_json_value(record, column), lines).strip()
                for column, lines in zip(columns, keep_lines, strict=True)
            ]
            if all(values):
                rows.append([*values, f"line {number}"])
                if limit and len(rows) >= limit:
                    break
    if not rows:
        missing = [c for c in columns if _column_index(list(keys), c, strict=False) < 0]
        if missing:
            raise CsvColumnError(
                f"{path}: no key {', '.join(repr(c) for c in missing)}; "
                f"keys are {', '.join(keys) or 'none'}"
            )
        raise CsvColumnError(f"{path}: no line has a value for every key {', '.join(columns)}")
    return rows


def _json_value(record: dict[str, Any], column: str) -> str:
    """A key's value as text (a number or true/false label as written); absent or null is ''."""
    keys = [str(k) for k in record]
    at = _column_index(keys, column, strict=False)
    value = record[list(record)[at]] if at >= 0 else None
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _delimiter(path: Path, sample: str, columns: Sequence[str]) -> str:
    """The delimiter whose header row has every named column: the sniffed one first."""
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","
    first_line = sample.splitlines()[0] if sample else ""
    tried: list[str] = []
    candidates: list[str] = list(dict.fromkeys([str(sniffed), *DELIMITERS]))
    for delimiter in candidates:
        header = next(csv.reader([first_line], delimiter=delimiter), [])
        if all(_column_index(header, c, strict=False) >= 0 for c in columns):
            return delimiter
        tried = tried or header
    missing = [c for c in columns if _column_index(tried, c, strict=False) < 0]
    raise CsvColumnError(
        f"{path}: no column {', '.join(repr(c) for c in missing)}; columns are {', '.join(tried)}"
    )


def _column_index(header: Sequence[str], column: str, strict: bool = True) -> int:
    if column in header:
        return list(header).index(column)
    folded = [h.strip().casefold() for h in header]
    if column.strip().casefold() in folded:
        return folded.index(column.strip().casefold())
    if strict:
        raise CsvColumnError(f"no column {column!r}")
    return -1


def evaluate_triage(
    train: Sequence[tuple[str, str]],
    test: Sequence[tuple[str, str]],
    embedder: MiniLMEmbedder,
    field: str = "topic",
    oos_label: str | None = None,
    oos_threshold: float | None = None,
    val: Sequence[tuple[str, str]] | None = None,
    train_names: Sequence[str] | None = None,
    test_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Train a `field` head on `train` (text, label) pairs and score it on `test`.

    With `oos_label`, a message is out of scope when the head files it under that label or
    when its scope score (custom_heads.py) is below `oos_threshold`; without a threshold the
    one `smartinbox train triage` would choose is used: on out-of-fold scores of the training
    rows and on the `val` rows, balancing OOS recall and in-scope accuracy.

    Labels are read as field_labels.py says; rows whose label cannot be read are left out and
    listed (`rows_refused`) by their names in `train_names` and `test_names`. For urgency and
    sentiment the result also ranks the head's score against the labels (`ordinal`: Spearman
    rank correlation and ROC AUC at each cut of the scale); for spam, the ROC AUC of the spam
    probability.
    """
    started = time.perf_counter()
    trained = train_on_usable_rows(
        field,
        [t for t, _ in train],
        [label for _, label in train],
        embedder.features,
        oos_label=oos_label,
        oos_threshold=oos_threshold,
        val=val,
        row_names=[f"--train {n}" for n in train_names] if train_names else None,
    )
    head, left_out = trained.head, trained.left_out
    read = read_labels(
        field,
        [label for _, label in test],
        [f"--test {n}" for n in test_names] if test_names else None,
    )
    if not read.kept:
        raise CustomHeadError("no --test row has a label the field can read")
    test = [(test[i][0], label) for i, label in zip(read.kept, read.labels, strict=True)]
    done = time.perf_counter()
    texts = [t for t, _ in test]
    vectors = embedder.features(texts)
    predicted, confidence, scope = head.predict_scope(texts, vectors)
    elapsed = time.perf_counter() - done
    if oos_label is not None:
        predicted = with_oos_threshold(predicted, list(scope), oos_label, head.oos_threshold)
    truth = [label for _, label in test]
    report = classification_report(truth, predicted, confidence, oos_label=oos_label)
    if "oos" in report:
        report["oos"]["threshold"] = head.oos_threshold
        report["oos"]["score"] = describe(head)["oos_score"]
    chosen = {"oos_threshold_chosen": trained.scope} if trained.scope else {}
    if field in SCORED_FIELDS:
        proba = head.proba(texts, vectors)
        chosen["ordinal" if field != "spam" else "spam_score"] = scored_figures(
            field, head, proba, [read.values[label] for label in truth]
        )
    unseen = sorted(set(truth) - set(head.classes))
    return {
        "field": field,
        "train_rows": len(train),
        "labels_trained": len(head.classes),
        "labels_left_out": left_out,
        "labels_unseen_in_training": unseen,
        "rows_refused": [*trained.refused, *read.refused_messages()],
        "regularisation": head.regularisation.describe(),
        **chosen,
        **report,
        "throughput": {
            "training_s": round(done - started, 2),
            "messages_per_s": round(len(texts) / elapsed, 1) if elapsed > 0 else None,
        },
    }


# Urgency at or above this value (high, critical, P1, P2) is what "urgent" means in the inbox.
HIGH_URGENCY = 0.8


def scored_figures(
    field: str, head: CustomHead, proba: Any, truth_values: Sequence[float]
) -> dict[str, Any]:
    """How well the head's score ranks the labels' values: for urgency and sentiment the
    Spearman rank correlation of the expected value with the label's value and the ROC AUC of
    the expected value at each cut of the scale (label at or above it against below); for
    urgency also high-vs-rest, for sentiment negative-vs-rest. For spam, the ROC AUC of the
    spam probability."""
    from scipy.stats import spearmanr

    truth = np.asarray(truth_values, dtype=np.float64)
    if field == "spam":
        score = head.head.positive(proba)
        value = auc([float(v) for v in score], [bool(v >= 0.5) for v in truth])
        return {"roc_auc": None if value is None else round(value, 4), "n": len(truth)}
    expected = np.asarray(head.head.expected_value(proba), dtype=np.float64)
    names: dict[float, str] = {}
    for label, centre in head.head.centres.items():
        names.setdefault(round(centre, 4), label)
    cuts: dict[str, float | None] = {}
    for cut in sorted(set(truth.round(4)))[1:]:
        name = names.get(cut, f"{cut:g}")
        value = auc([float(v) for v in expected], [bool(v >= cut) for v in truth.round(4)])
        cuts[f">= {name}"] = None if value is None else round(value, 4)
    out: dict[str, Any] = {"n": len(truth), "roc_auc_by_cut": cuts}
    if len(set(truth)) > 1 and len(set(expected.round(6))) > 1:
        out["spearman"] = round(float(spearmanr(expected, truth).statistic), 4)
    else:
        out["spearman"] = None
    if field == "urgency":
        value = auc([float(v) for v in expected], [bool(v >= HIGH_URGENCY) for v in truth])
        out["roc_auc_high_vs_rest"] = None if value is None else round(value, 4)
    else:
        value = auc([float(-v) for v in expected], [bool(v < 0) for v in truth])
        out["roc_auc_negative_vs_rest"] = None if value is None else round(value, 4)
    return out


def evaluate_replies(
    train: Sequence[tuple[str, str]],
    test: Sequence[tuple[str, str]],
    engine: Any,
    judge: Any,
    judge_threshold: float = JUDGE_ACCEPT,
    similarity_threshold: float = SIMILARITY_ACCEPT,
    target_precision: float | None = None,
    replay_limit: int = REPLAY_LIMIT,
) -> dict[str, Any]:
    """Suggest a reply to each test message from a memory of the train pairs; compare.

    Also replays the train pairs (reply_replay.py: each fold answered from the others) to fit
    a calibration on them alone, and reports the test ECE after it and, with
    `target_precision`, the auto-snooze threshold the replay chooses for it."""
    from smartinbox.ai.engine import MemoryItem, MessageInput
    from smartinbox.ai.memory import ReplyMemory

    engine.memory = ReplyMemory(engine.memory.snapshot()[0].shape[1])
    engine.calibration = None
    engine.remember(
        [MemoryItem(message=m, reply=r, source="history", ref_id=str(n))
         for n, (m, r) in enumerate(train)]
    )  # fmt: skip
    started = time.perf_counter()
    messages = [MessageInput(m) for m, _ in test]
    triages = engine.analyze(messages)
    suggestions = [engine.suggest(m, t) for m, t in zip(messages, triages, strict=True)]
    elapsed = time.perf_counter() - started
    texts = [s.text for s in suggestions]
    references = [r for _, r in test]
    vectors = engine.embedder.embed([*texts, *references])
    similarity = np.sum(vectors[: len(texts)] * vectors[len(texts) :], axis=1)
    scores = [
        judge.evaluate(m, s, reference=r).score for (m, r), s in zip(test, texts, strict=True)
    ]
    accepted = [
        int(j >= judge_threshold or float(c) >= similarity_threshold)
        for j, c in zip(scores, similarity, strict=True)
    ]
    confidence = [s.confidence for s in suggestions]
    replayed = _replay_figures(
        engine, train, confidence, accepted, similarity_threshold, target_precision, replay_limit
    )
    return {
        "train_pairs": len(train),
        "n": len(test),
        "similarity_to_reference": _spread([float(v) for v in similarity]),
        "judge_score": _spread(scores),
        "acceptance": {
            "estimated": round(float(np.mean(confidence)), 4),
            "observed": round(float(np.mean(accepted)), 4),
            "definition": (
                f"judge score >= {judge_threshold} or similarity >= {similarity_threshold}"
            ),
        },
        "calibration": reliability(confidence, accepted),
        "calibration_after_replay": replayed,
        "throughput": {"messages_per_s": round(len(test) / elapsed, 1) if elapsed > 0 else None},
    }


def _replay_figures(
    engine: Any,
    train: Sequence[tuple[str, str]],
    confidence: Sequence[float],
    accepted: Sequence[int],
    similarity_threshold: float,
    target_precision: float | None,
    limit: int,
) -> dict[str, Any]:
    from smartinbox.ai.reply_replay import (
        ReplayPair,
        fit_from_replay,
        replay,
        snooze_threshold_for_precision,
    )

    pairs = [ReplayPair(str(n), m, r) for n, (m, r) in enumerate(train)]
    outcomes = replay(engine, pairs, limit=limit, accept_at=similarity_threshold)
    out: dict[str, Any] = {
        "replayed_pairs": len(outcomes.accepted),
        "replay_definition": f"similarity >= {similarity_threshold} to the team's reply",
    }
    curve = fit_from_replay(outcomes)
    if curve is None:
        out["skipped"] = "the replay saw too few accepted or rejected suggestions to fit"
        return out
    calibrated = [curve.apply(c) for c in confidence]
    out["method"] = curve.method
    out["ece"] = reliability(calibrated, accepted)["ece"]
    if target_precision is not None:
        choice = snooze_threshold_for_precision(
            [curve.apply(c) for c in outcomes.confidence], outcomes.accepted, target_precision
        )
        if choice["threshold"] is not None:
            kept = [
                a for c, a in zip(calibrated, accepted, strict=True) if c >= choice["threshold"]
            ]
            choice["test_kept"] = len(kept)
            choice["test_precision"] = round(sum(kept) / len(kept), 4) if kept else None
        out["auto_snooze"] = choice
    return out


def _spread(values: Sequence[float]) -> dict[str, float]:
    array = np.asarray(values, dtype=np.float64)
    return {
        "mean": round(float(array.mean()), 4),
        "median": round(float(np.median(array)), 4),
        "p10": round(float(np.percentile(array, 10)), 4),
    }


HOLD_OUT = 0.2
SPLIT_SEED = 0


def hold_out(
    rows: Sequence[Sequence[str]], label_index: int | None = None
) -> tuple[list[list[str]], list[list[str]]]:
    """(train, test): one file split when a team has a single export. A fifth of the rows, at
    random with a fixed seed, is held out; with `label_index`, a fifth of each label's rows
    (stratified), keeping at least two of every label for training."""
    import random

    rng = random.Random(SPLIT_SEED)
    groups: dict[str, list[list[str]]] = {}
    for row in rows:
        key = row[label_index] if label_index is not None else ""
        groups.setdefault(key, []).append(list(row))
    train: list[list[str]] = []
    test: list[list[str]] = []
    for key in sorted(groups):
        group = groups[key]
        rng.shuffle(group)
        n = len(group)
        k = int(n * HOLD_OUT + 0.5)
        if label_index is not None:
            k = max(0, min(k, n - 2))
        test += group[:k]
        train += group[k:]
    if not train or not test:
        raise CsvColumnError(
            f"{len(rows)} rows are too few to hold a fifth out for testing; give --test FILE"
        )
    return train, test
