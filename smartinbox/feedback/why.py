""" "Why this reply?": the explanation of a message's current suggestion. Never commits.

Computed on demand by the configured reviewer (the provider's chat model, or the local rules
over the suggestion's recorded evidence) and stored with who wrote it; later requests read the
stored answer unless `refresh`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartinbox.ai.engine import Evidence
from smartinbox.feedback import repository as repo
from smartinbox.feedback.analysis import Reviewer, RuleReviewer, Shown
from smartinbox.feedback.schemas import ReplyExplanationOut
from smartinbox.inbox.analysis import as_input
from smartinbox.kit.errors import NotFound
from smartinbox.models import AIReplyExplanation, Message


def _evidence(rows: list[dict[str, object]]) -> list[Evidence]:
    return [
        Evidence(
            source=str(r.get("source") or ""),
            similarity=float(r.get("similarity") or 0.0),  # type: ignore[arg-type]
            message=str(r.get("message") or ""),
            reply=str(r.get("reply") or ""),
            ref_id=str(r["ref_id"]) if r.get("ref_id") is not None else None,
        )
        for r in rows
    ]


def explain_suggestion(
    session: Session, message_id: int, reviewer: Reviewer | None = None, *, refresh: bool = False
) -> ReplyExplanationOut:
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"message {message_id} does not exist", field="id")
    suggestion = repo.rated_or_answered_reply(session, message_id)
    if suggestion is None:
        raise NotFound(f"message {message_id} has no suggested reply yet", field="id")
    row = None if refresh else repo.latest_explanation(session, suggestion.id)
    if row is None:
        shown = Shown(
            message=as_input(message).text,
            reply=suggestion.text,
            confidence=suggestion.confidence,
            evidence=_evidence(suggestion.evidence or []),
            snooze_reason=suggestion.snooze_reason if suggestion.snoozed else None,
        )
        result = (reviewer or RuleReviewer()).explain_reply(shown)
        row = AIReplyExplanation(
            ai_reply_id=suggestion.id,
            text=result.text,
            provider=result.provider,
            model=result.model,
            prompt_version=result.prompt_version,
        )
        repo.add(session, row)
    return ReplyExplanationOut.model_validate(row)
