"""Import of message history from CSV or JSONL, streamed in chunks.

Each chunk is one transaction, so a crash loses at most the chunk in flight and a re-run
picks up where it stopped: rows are keyed by an id column or, without one, by a hash of
their content, and ingest is idempotent on (channel, external_id).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from smartinbox.ai.field_labels import MAX_LABEL_CHARS
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.inbox import repository as repo
from smartinbox.inbox import service
from smartinbox.inbox.schemas import CustomerIn, MessageIn
from smartinbox.kit.errors import DomainError, ValidationFailed
from smartinbox.kit.text import visible_text
from smartinbox.kit.timeutil import parse_datetime
from smartinbox.models import AgentReply

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class ColumnMap:
    text: str = "body"
    subject: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    received_at: str | None = None
    agent_reply: str | None = None
    kind: str | None = None
    topic: str | None = None
    external_id: str | None = None

    def named(self) -> list[tuple[str, str]]:
        """(option, column) for every column the caller named."""
        options = {
            "text_col": self.text, "subject_col": self.subject,
            "customer_email_col": self.customer_email, "customer_name_col": self.customer_name,
            "received_at_col": self.received_at, "reply_col": self.agent_reply,
            "kind_col": self.kind, "topic_col": self.topic, "id_col": self.external_id,
        }  # fmt: skip
        return [(option, column) for option, column in options.items() if column]


class ImportRefused(ValidationFailed):
    """The file as a whole cannot be imported (binary, wrong columns): nothing was read."""


@dataclass
class Problem:
    line: int
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    existing: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self, max_problems: int = 50) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "existing": self.existing,
            "skipped": self.skipped,
            "problems": [
                {"line": p.line, "error": p.message} for p in self.problems[:max_problems]
            ],
        }


Row = tuple[int, dict[str, Any]]


def _has_bad_bytes(value: str) -> bool:
    # surrogateescape turns undecodable bytes into U+DC80..U+DCFF.
    return any("\udc80" <= ch <= "\udcff" for ch in value)


class _CountingReader(io.RawIOBase):
    """Reports bytes as they are read, so a progress bar can follow a streamed file."""

    def __init__(self, raw: BinaryIO, on_bytes: Callable[[int], None] | None) -> None:
        self._raw = raw
        self._on_bytes = on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if self._on_bytes and n:
            self._on_bytes(n)
        return n


def read_rows(
    path: Path, fmt: str, on_bytes: Callable[[int], None] | None = None
) -> Generator[Row]:
    """(line number, row) pairs; the file is read as a stream, never loaded whole."""
    with path.open("rb") as raw:
        fh = io.TextIOWrapper(
            io.BufferedReader(_CountingReader(raw, on_bytes)),
            encoding="utf-8-sig",
            errors="surrogateescape",
            newline="",
        )
        yield from (_jsonl_rows(fh) if fmt == "jsonl" else _csv_rows(fh))


SNIFF_BYTES = 64 * 1024


def check_text_file(path: Path) -> None:
    """Refuse a file that is not text at all (an image, an archive) before reading rows."""
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    if b"\x00" in sample:
        raise ImportRefused(f"{path.name} is a binary file, not CSV or JSONL text", field="file")
    decoded = sample.decode("utf-8", errors="replace")
    if decoded and decoded.count("\ufffd") > 0.3 * len(decoded):
        raise ImportRefused(f"{path.name} is not UTF-8 text (binary file?)", field="file")


def check_columns(path: Path, fmt: str, cols: ColumnMap) -> None:
    """Every column the caller named must exist: checked on the CSV header (or the first JSON
    object) before the first row is imported, so a misspelled option fails at once."""
    if fmt == "jsonl":
        with closing(read_rows(path, fmt)) as rows:
            first = next((row for _line, row in rows if "__error__" not in row), None)
        if first is not None and cols.text not in first:
            raise ImportRefused(
                f"column '{cols.text}' (--text-col) is not in the first JSON object; "
                f"its keys are: {', '.join(map(str, first)) or 'none'}",
                field="text_col",
            )
        return
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        try:
            header = next(csv.reader(fh), None)
        except csv.Error as exc:
            raise ImportRefused(f"the CSV header cannot be read: {exc}", field="file") from exc
    if not header:
        raise ImportRefused(f"{path.name} is empty: no CSV header", field="file")
    missing = [(option, column) for option, column in cols.named() if column not in header]
    if missing:
        option, column = missing[0]
        raise ImportRefused(
            f"column '{column}' (--{option.replace('_', '-')}) is not in the CSV header; "
            f"the header has: {', '.join(header)}",
            field=option,
        )


def _jsonl_rows(fh: io.TextIOWrapper) -> Iterator[Row]:
    for number, line in enumerate(fh, 1):
        if not line.strip():
            continue
        if _has_bad_bytes(line):
            yield number, {"__error__": "line is not valid UTF-8"}
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, {"__error__": f"invalid JSON: {exc.msg}"}
            continue
        except RecursionError:
            yield number, {"__error__": "invalid JSON: nested too deeply"}
            continue
        if not isinstance(value, dict):
            value = {"__error__": "line is not a JSON object"}
        yield number, value


def _csv_rows(fh: io.TextIOWrapper) -> Iterator[Row]:
    # strict: a quote left open is an error at the row that opened it, not rows merged into one.
    reader = csv.DictReader(fh, strict=True)
    start = 2  # the header is line 1; a record may span several physical lines
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if None in row:
                yield line, {"__error__": "row has more fields than the header"}
            elif any(v is not None and _has_bad_bytes(v) for v in row.values()):
                yield line, {"__error__": "row is not valid UTF-8"}
            else:
                yield line, row
    except csv.Error as exc:
        why = str(exc)
        if "unexpected end of data" in why or "EOF" in why:
            why = "a quoted field is never closed (unterminated quote)"
        yield start, {"__error__": f"malformed CSV, import stopped here: {why}"}


def _content_key(body: str, received: str, email: str) -> str:
    digest = hashlib.sha1(f"{body}\x1f{received}\x1f{email}".encode(), usedforsecurity=False)
    return "h:" + digest.hexdigest()


def to_message(
    row: dict[str, Any], cols: ColumnMap, channel: str
) -> tuple[MessageIn, dict[str, str | None]]:
    def get(col: str | None) -> str | None:
        if not col:
            return None
        value = row.get(col)
        if value is None:
            return None
        return str(value) if not isinstance(value, str) else value

    if cols.text not in row:
        raise ValueError(f"column '{cols.text}' (message text) is missing")
    body = get(cols.text) or ""
    received_raw = get(cols.received_at) or ""
    email = (get(cols.customer_email) or "").strip()
    name = (get(cols.customer_name) or "").strip()
    external_id = (get(cols.external_id) or "").strip() or _content_key(body, received_raw, email)
    received = parse_datetime(received_raw) if received_raw.strip() else None
    message = MessageIn(
        channel=channel,
        external_id=external_id,
        subject=get(cols.subject) or None,
        body=body,
        customer=CustomerIn(email=email or None, name=name or None) if (email or name) else None,
        received_at=received,
    )
    extras = {
        # An exported e-mail reply is stored as the text the agent sent, lines kept: it is
        # what the reply memory suggests and what training data holds.
        "agent_reply": visible_text(get(cols.agent_reply) or "", keep_lines=True).strip() or None,
        "kind": (get(cols.kind) or "").strip() or None,
        "topic": (get(cols.topic) or "").strip() or None,
    }
    for name, col in (("kind", cols.kind), ("topic", cols.topic)):
        label = extras[name]
        if label is not None and len(label) > MAX_LABEL_CHARS:
            raise ValueError(
                f"column '{col}' ({name} label) has {len(label)} characters; "
                f"at most {MAX_LABEL_CHARS}"
            )
    return message, extras


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "row"
        return f"{loc}: {err['msg']}"
    if isinstance(exc, DomainError):
        return exc.message
    return str(exc)


def import_file(
    path: Path,
    settings: Settings,
    cols: ColumnMap,
    *,
    fmt: str | None = None,
    channel: str = "import",
    chunk_size: int = 500,
    analyze: bool = True,
    on_bytes: Callable[[int], None] | None = None,
) -> ImportReport:
    fmt = fmt or ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv")
    check_text_file(path)
    check_columns(path, fmt, cols)
    report = ImportReport()
    chunk: list[tuple[int, MessageIn, dict[str, str | None]]] = []
    for line, row in read_rows(path, fmt, on_bytes):
        report.rows += 1
        if "__error__" in row:
            report.skipped += 1
            report.problems.append(Problem(line, str(row["__error__"])))
            continue
        try:
            message, extras = to_message(row, cols, channel)
            service._check(message, settings)
        except (ValidationError, ValueError, TypeError, RecursionError, DomainError) as exc:
            # Any row that cannot be read is that row's problem; the import goes on.
            report.skipped += 1
            report.problems.append(Problem(line, _describe(exc)))
            continue
        chunk.append((line, message, extras))
        if len(chunk) >= chunk_size:
            _flush(chunk, settings, report, analyze)
            chunk = []
    if chunk:
        _flush(chunk, settings, report, analyze)
    return report


def _flush(
    chunk: list[tuple[int, MessageIn, dict[str, str | None]]],
    settings: Settings,
    report: ImportReport,
    analyze: bool,
) -> None:
    from smartinbox.inbox.tasks import queue_analysis
    from smartinbox.worker import enqueue

    with session_scope(settings) as session:
        results = service.ingest_batch(session, settings, [m for _, m, _ in chunk], source="import")
        new_ids = []
        for (_line, _msg, extras), result in zip(chunk, results, strict=True):
            if not result.created:
                report.existing += 1
                continue
            report.created += 1
            new_ids.append(result.message.id)
            message = result.message
            message.label_kind = extras["kind"]
            message.label_topic = extras["topic"]
            if extras["agent_reply"]:
                repo.add(
                    session,
                    AgentReply(message_id=message.id, text=extras["agent_reply"], usage="none"),
                )
                message.status = "replied"
        if analyze and new_ids:
            enqueue(session, queue_analysis, new_ids)
