"""A suggestion the engine abstained on is snoozed, says so, and the API marks it."""

from __future__ import annotations

from datetime import UTC, datetime

from smartinbox.ai.engine import Suggestion, Triage
from smartinbox.inbox.analysis import snooze_reason
from smartinbox.inbox.schemas import SuggestionOut

TRIAGE = Triage(kind="urgent", topic="technical", urgency=0.9, sentiment=-0.5, spam=0.0,
                language="en")  # fmt: skip


def _out(reason: str | None) -> SuggestionOut:
    return SuggestionOut.model_validate({
        "id": 1, "text": "closest reply", "confidence": 0.05, "snoozed": reason is not None,
        "snooze_reason": reason, "evidence": [], "assistant_version_id": None,
        "provider": "local", "model": "m", "prompt_version": None, "latency_ms": 1.0,
        "created_at": datetime.now(UTC),
    })  # fmt: skip


def test_an_abstained_suggestion_is_snoozed_with_its_reason_and_marked() -> None:
    abstained = Suggestion(
        text="closest reply",
        confidence=0.05,
        abstained=True,
        note="No confident suggestion: an urgent message, and only FAQ replies are stored for it.",
    )
    reason = snooze_reason(TRIAGE, abstained, threshold=0.0)
    assert reason is not None and reason.startswith("No confident suggestion: an urgent")
    assert "closest stored reply" in reason
    out = _out(reason)
    assert out.abstained and out.model_dump()["abstained"] is True


def test_a_low_confidence_suggestion_is_snoozed_but_not_abstained() -> None:
    low = Suggestion(text="a reply", confidence=0.2)
    reason = snooze_reason(TRIAGE, low, threshold=0.5)
    assert reason is not None and reason.startswith("Low confidence")
    assert not _out(reason).abstained
    assert not _out(None).abstained
