"""Exports for download (API and UI): written to a private file, streamed, then removed.

Writing first lets the JSONL be validated completely before a single byte is sent, and the
report travel in the response headers; the file is streamed from disk in chunks.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.feedback import exports
from smartinbox.feedback.schemas import ReplayFilters
from smartinbox.kit.timeutil import utcnow

MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}


@dataclass
class Download:
    path: Path
    filename: str
    media_type: str
    report: exports.ExportReport

    @property
    def headers(self) -> dict[str, str]:
        validation = self.report.validation or {}
        headers = {
            "X-Export-Rows": str(self.report.rows),
            "X-Export-Redacted": "true" if self.report.redacted else "false",
        }
        if validation:
            headers["X-Export-Estimated-Tokens"] = str(validation["estimated_tokens"])
            headers["X-Export-Dropped"] = json.dumps(validation["dropped"])
        return headers


def _target(settings: Settings, stem: str, fmt: str) -> tuple[Path, str]:
    name = f"{stem}-{utcnow():%Y%m%dT%H%M%SZ}.{fmt}"
    folder = settings.resolved_export_dir() / "downloads"
    return folder / f"{uuid.uuid4().hex}-{name}", name


def training(
    settings: Settings,
    fmt: exports.Format,
    since: datetime | None,
    version: str | None,
    min_not_useful: int | None,
    redact_pii: bool | None,
) -> Download:
    path, name = _target(settings, "training", fmt)
    redact = settings.export_redact_pii if redact_pii is None else redact_pii
    query = exports.TrainingQuery(since, version, min_not_useful, redact)
    with session_scope(settings, write=False) as session:
        report = exports.export_training(session, settings, fmt, path, query)
    return Download(path, name, MEDIA[fmt], report)


def feedback(settings: Settings, filters: ReplayFilters, redact_pii: bool | None) -> Download:
    path, name = _target(settings, "feedback", "csv")
    redact = settings.export_redact_pii if redact_pii is None else redact_pii
    with session_scope(settings, write=False) as session:
        report = exports.export_feedback(session, path, filters, redact)
    return Download(path, name, MEDIA["csv"], report)
