"""Exports of feedback and training data: CSV and OpenAI chat JSONL, streamed to a file.

Rows are read in keyset pages and written as they come, so memory stays flat however many
rows there are. Files are written under a temporary name in the target folder and renamed
into place only when complete and valid: a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy.orm import Session

from smartinbox.config import Settings
from smartinbox.feedback import repository as repo
from smartinbox.feedback.jsonl import ValidationReport, chat_record, json_line
from smartinbox.feedback.schemas import ReplayFilters
from smartinbox.kit.csvout import CsvWriter
from smartinbox.kit.errors import StorageFailed, ValidationFailed
from smartinbox.kit.pii import redact
from smartinbox.versions.service import DEFAULT_SYSTEM_PROMPT

Format = Literal["csv", "jsonl"]
FEEDBACK_COLUMNS = [
    "id", "created_at", "message_id", "topic", "assistant_version", "feedback", "score",
    "notes", "message", "ai_reply", "agent_reply", "failure_explanation",
]  # fmt: skip
TRAINING_COLUMNS = [
    "id", "created_at", "updated_at", "source", "weight", "not_useful_count",
    "message_id", "prompt", "completion",
]  # fmt: skip


@dataclass
class TrainingQuery:
    since: datetime | None = None
    version: str | None = None
    min_not_useful: int | None = None
    redact_pii: bool = True


@dataclass
class ExportReport:
    path: str
    format: str
    rows: int = 0
    bytes: int = 0
    redacted: bool = True
    validation: dict[str, Any] | None = None
    sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "extra" and v is not None}
        out.update(self.extra)
        return out


class AtomicFile:
    """A text file that appears at `path` only when `commit()` is called."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent
            )
        except OSError as exc:
            raise storage_failed(self.path, exc) from exc
        self.tmp = Path(tmp)
        self.handle: IO[str] = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def commit(self) -> int:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.tmp, self.path)
        return self.path.stat().st_size

    def discard(self) -> None:
        if not self.handle.closed:
            with contextlib.suppress(OSError):  # the buffered rest cannot be written either
                self.handle.close()
        self.tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[AtomicFile]:
    """An AtomicFile that is discarded if anything fails before `commit()`; a storage error
    (read-only folder, full disk, size limit) becomes a clear `StorageFailed`."""
    target = AtomicFile(path)
    try:
        yield target
    except OSError as exc:
        target.discard()
        raise storage_failed(target.path, exc) from exc
    except BaseException:
        target.discard()
        raise


def storage_failed(path: Path, exc: OSError) -> StorageFailed:
    reason = exc.strerror or type(exc).__name__
    return StorageFailed(
        f"the export could not be written to {path.parent}: {reason}; no file was left behind",
        field="out",
    )


def _version_id(session: Session, tag: str | None) -> int | None:
    if not tag:
        return None
    version = repo.version_by_tag(session, tag)
    if version is None:
        raise ValidationFailed(f"assistant version {tag!r} does not exist", field="version")
    return version.id


def training_rows(session: Session, q: TrainingQuery) -> Iterator[dict[str, Any]]:
    clean = redact if q.redact_pii else str
    for ex in repo.iter_examples(
        session, since=q.since, version_id=_version_id(session, q.version),
        min_not_useful=q.min_not_useful,
    ):  # fmt: skip
        yield {
            "id": ex.id, "created_at": ex.created_at, "updated_at": ex.updated_at,
            "source": ex.source, "weight": ex.weight, "not_useful_count": ex.not_useful_count,
            "message_id": ex.message_id, "prompt": clean(ex.prompt),
            "completion": clean(ex.completion),
        }  # fmt: skip


def feedback_rows(session: Session, f: ReplayFilters, redact_pii: bool) -> Iterator[dict[str, Any]]:
    clean = redact if redact_pii else str
    for item in repo.iter_replays(session, f):
        row = item.replay
        yield {
            "id": row.id, "created_at": row.created_at, "message_id": row.message_id,
            "topic": row.topic, "assistant_version": item.version_tag, "feedback": row.feedback,
            "score": item.score, "notes": clean(item.notes) if item.notes else None,
            "message": clean(row.message), "ai_reply": clean(row.ai_reply),
            "agent_reply": clean(row.agent_reply) if row.agent_reply else None,
            "failure_explanation": row.failure_explanation,
        }  # fmt: skip


def write_csv(rows: Iterator[dict[str, Any]], columns: list[str], out: Path) -> ExportReport:
    report = ExportReport(path=str(out), format="csv")
    with atomic_file(out) as target:
        writer = CsvWriter(target.handle, bom=True)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c) for c in columns])
            report.rows += 1
        report.bytes = target.commit()
    return report


def write_jsonl(
    rows: Iterator[dict[str, Any]], out: Path, settings: Settings, system_prompt: str | None = None
) -> ExportReport:
    """Validate each example, write the good ones; fail (nothing written) if too few remain."""
    system = DEFAULT_SYSTEM_PROMPT if system_prompt is None else system_prompt
    validation = ValidationReport(
        settings.finetune_max_tokens_per_example, settings.finetune_min_examples
    )
    report = ExportReport(path=str(out), format="jsonl")
    with atomic_file(out) as target:
        for row in rows:
            record = chat_record(system, row["prompt"], row["completion"])
            if validation.check(record):
                target.handle.write(json_line(record))
                report.rows += 1
        report.validation = validation.to_dict()
        if not validation.ok:
            raise ValidationFailed(
                f"only {validation.examples} valid example(s); fine-tuning needs at least "
                f"{validation.min_examples}",
                field="examples",
                report=validation.to_dict(),
            )
        report.bytes = target.commit()
    return report


def export_training(
    session: Session, settings: Settings, fmt: Format, out: Path, q: TrainingQuery
) -> ExportReport:
    rows = training_rows(session, q)
    report = (
        write_jsonl(rows, out, settings)
        if fmt == "jsonl"
        else write_csv(rows, TRAINING_COLUMNS, out)
    )
    report.redacted = q.redact_pii
    return report


def export_feedback(
    session: Session, out: Path, f: ReplayFilters, redact_pii: bool
) -> ExportReport:
    report = write_csv(feedback_rows(session, f, redact_pii), FEEDBACK_COLUMNS, out)
    report.redacted = redact_pii
    return report
