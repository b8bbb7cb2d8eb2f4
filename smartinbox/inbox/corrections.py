"""Agents' corrections of the triage ("this is billing, not shipping", "this is urgent").

A correction changes what the inbox shows and files right away, and is kept as a training
label: `smartinbox train triage --field FIELD` adds every message's latest correction of that
field to the team's labelled rows, and local retraining refits the team's heads on the
corrections together with the labels imported with the team's history. Topic and kind take any
name of up to 200 characters; urgency, sentiment and spam take the labels of
smartinbox/ai/field_labels.py (stored in their canonical form, e.g. "P1" or "high", "1" for
spam) and set the analysis's score to the label's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime

from sqlalchemy.orm import Session

from smartinbox.ai.field_labels import FIELDS, SCORED_FIELDS, LabelError, read_one
from smartinbox.ai.field_labels import MAX_LABEL_CHARS as _MAX_LABEL_CHARS
from smartinbox.inbox import repository as repo
from smartinbox.inbox.service import get_message
from smartinbox.kit.errors import ValidationFailed
from smartinbox.models import LabelCorrection, User
from smartinbox.models.inbox import KINDS

CORRECTABLE_FIELDS = FIELDS
MAX_LABEL_CHARS = _MAX_LABEL_CHARS
# Fields `smartinbox import` stores a label for (--topic-col, --kind-col).
IMPORTED_FIELDS = ("topic", "kind")


def choices(session: Session, field: str) -> list[str]:
    """The labels a correction of `field` chooses from: for kinds the engine's kinds and any
    the team's own head gave; for topics every topic the triage, imported history or an
    earlier correction used (the team's topics)."""
    known = set(repo.known_labels(session, field))
    if field == "kind":
        known |= set(KINDS)
    return sorted(known)


def record_correction(
    session: Session,
    message_id: int,
    field: str,
    value: str,
    author: User | None,
    *,
    new_topic: bool = False,
) -> LabelCorrection:
    """Store a correction. The value must be one of `choices`; a team introduces a topic of
    its own on purpose, with `new_topic`, never by a typo."""
    if field not in CORRECTABLE_FIELDS:
        raise ValidationFailed(
            f"field must be one of {', '.join(CORRECTABLE_FIELDS)}", field="field"
        )
    value = " ".join(value.split())
    if not value or len(value) > MAX_LABEL_CHARS:
        raise ValidationFailed(f"value must be 1 to {MAX_LABEL_CHARS} characters", field="value")
    score: float | None = None
    if field in SCORED_FIELDS:
        try:
            value, score = read_one(field, value)
        except LabelError as exc:
            raise ValidationFailed(f"{field}: {exc}", field="value") from exc
    message = get_message(session, message_id)
    allowed = choices(session, field) if field in IMPORTED_FIELDS else [value]
    if value not in allowed and not (field == "topic" and new_topic):
        shown = ", ".join(allowed[:30]) + (", ..." if len(allowed) > 30 else "")
        hint = " (or mark it as a new topic)" if field == "topic" else ""
        raise ValidationFailed(
            f"value {value!r} is not a known {field}; choose one of: {shown}{hint}",
            field="value",
            choices=allowed,
        )
    analysis = repo.get_analysis(session, message.id)
    old = str(getattr(analysis, field)) if analysis is not None else None
    correction = LabelCorrection(
        message_id=message.id,
        field=field,
        old_value=old,
        value=value,
        author_id=author.id if author else None,
    )
    repo.add(session, correction)
    if analysis is not None:
        setattr(analysis, field, value if score is None else score)
        # The label is now the agent's, not the model's guess.
        analysis.confidence = {**analysis.confidence, field: 1.0}
    repo.add_event(
        session,
        message.id,
        "corrected",
        author.id if author else None,
        field=field,
        old_value=old,
        value=value,
    )
    return correction


def training_rows(session: Session, field: str) -> list[tuple[str, str]]:
    """(message text, corrected label) pairs, as the engine reads a message (subject, body)."""
    return [
        (_text(subject, body), value)
        for subject, body, value in repo.corrected_labels(session, field)
    ]


@dataclass
class LabelledRows:
    """A field's labelled messages: agents' corrections first, then imported labels, newest
    first within each; a correction replaces the imported label of its message."""

    field: str
    texts: list[str] = dc_field(default_factory=list)
    labels: list[str] = dc_field(default_factory=list)
    weights: list[float] = dc_field(default_factory=list)
    dates: list[datetime] = dc_field(default_factory=list)
    corrections: int = 0
    imported: int = 0
    imported_available: int = 0

    def add(self, text: str, label: str, weight: float, at: datetime) -> None:
        self.texts.append(text)
        self.labels.append(label)
        self.weights.append(weight)
        self.dates.append(at)


def labelled_rows(
    session: Session, field: str, limit: int, correction_weight: float
) -> LabelledRows:
    """Up to `limit` labelled rows of `field`, read as the engine reads a message."""
    rows = LabelledRows(field)
    for subject, body, value, at in repo.latest_corrections(session, field, limit):
        rows.add(_text(subject, body), value, correction_weight, at)
    rows.corrections = len(rows.texts)
    if field not in IMPORTED_FIELDS:
        return rows  # imported histories carry topic and kind labels only
    room = limit - rows.corrections
    if room > 0:
        for subject, body, label, at in repo.imported_labels(session, field, room):
            rows.add(_text(subject, body), label, 1.0, at)
    rows.imported = len(rows.texts) - rows.corrections
    rows.imported_available = repo.count_imported_labels(session, field)
    return rows


def _text(subject: str, body: str) -> str:
    return f"{subject}\n{body}".strip() if subject else body
