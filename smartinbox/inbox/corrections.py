"""Agents' corrections of the triage ("this is billing, not shipping").

A correction changes what the inbox shows and files right away, and is kept as a training
label: `smartinbox train triage --field topic` adds every message's latest correction to the
team's labelled rows.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartinbox.inbox import repository as repo
from smartinbox.inbox.service import get_message
from smartinbox.kit.errors import ValidationFailed
from smartinbox.models import LabelCorrection, User

CORRECTABLE_FIELDS = ("topic", "kind")
MAX_LABEL_CHARS = 64


def record_correction(
    session: Session, message_id: int, field: str, value: str, author: User | None
) -> LabelCorrection:
    if field not in CORRECTABLE_FIELDS:
        raise ValidationFailed(
            f"field must be one of {', '.join(CORRECTABLE_FIELDS)}", field="field"
        )
    value = " ".join(value.split())
    if not value or len(value) > MAX_LABEL_CHARS:
        raise ValidationFailed(f"value must be 1 to {MAX_LABEL_CHARS} characters", field="value")
    message = get_message(session, message_id)
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
        setattr(analysis, field, value)
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
        (f"{subject}\n{body}".strip() if subject else body, value)
        for subject, body, value in repo.corrected_labels(session, field)
    ]
