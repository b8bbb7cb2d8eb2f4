"""The retraining dataset: the worst-performing prompts and the answered auto-snoozed messages.

A record of the data goes with every candidate version (row counts, date range, hashes), so a
version can be traced to exactly what it learned from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartinbox.config import Settings
from smartinbox.feedback import repository as repo
from smartinbox.feedback.training import is_junk, prompt_hash
from smartinbox.kit.pii import redact
from smartinbox.models import AgentReply, Feedback, TrainingExample


@dataclass
class DatasetRecord:
    """What went into a dataset; stored on the candidate version."""

    worst_prompts: int = 0
    snoozed_answered: int = 0
    skipped_duplicates: int = 0
    skipped_junk: int = 0
    hashes: Any = field(default_factory=hashlib.sha256)

    def to_dict(self) -> dict[str, Any]:
        return {
            "worst_prompts": self.worst_prompts,
            "snoozed_answered": self.snoozed_answered,
            "rows": self.worst_prompts + self.snoozed_answered,
            "skipped_duplicates": self.skipped_duplicates,
            "skipped_junk": self.skipped_junk,
            "content_sha256": self.hashes.hexdigest(),
        }


def worst_rows(
    session: Session, settings: Settings, record: DatasetRecord, redact_pii: bool
) -> Iterator[dict[str, Any]]:
    """Examples whose messages drew more than N "not useful", then answered snoozed messages."""
    seen: set[str] = set()
    clean = redact if redact_pii else str

    def emit(prompt: str, completion: str) -> dict[str, Any] | None:
        key = prompt_hash(prompt)
        if key in seen:
            record.skipped_duplicates += 1
            return None
        if is_junk(completion):
            record.skipped_junk += 1
            return None
        seen.add(key)
        record.hashes.update(f"{key}\n".encode())
        return {"prompt": clean(prompt), "completion": clean(completion)}

    for ex in repo.iter_examples(session, min_not_useful=settings.retrain_min_not_useful):
        row = emit(ex.prompt, ex.completion)
        if row is not None:
            record.worst_prompts += 1
            yield row
    for _mid, message, reply in repo.snoozed_and_answered(session):
        row = emit(message, reply)
        if row is not None:
            record.snoozed_answered += 1
            yield row


def labelled_data_record(session: Session) -> dict[str, Any]:
    """Counts and date range of all labelled data (ratings, agent replies, examples)."""
    first, last = session.execute(
        select(func.min(Feedback.created_at), func.max(Feedback.created_at))
    ).one()
    replies_first, replies_last = session.execute(
        select(func.min(AgentReply.created_at), func.max(AgentReply.created_at))
    ).one()
    starts = [d for d in (first, replies_first) if d is not None]
    ends = [d for d in (last, replies_last) if d is not None]
    return {
        "ratings": int(session.scalar(select(func.count()).select_from(Feedback)) or 0),
        "agent_replies": int(session.scalar(select(func.count()).select_from(AgentReply)) or 0),
        "training_examples": int(
            session.scalar(select(func.count()).select_from(TrainingExample)) or 0
        ),
        "date_from": _iso(min(starts)) if starts else None,
        "date_to": _iso(max(ends)) if ends else None,
    }


def _iso(value: datetime) -> str:
    return value.isoformat()
