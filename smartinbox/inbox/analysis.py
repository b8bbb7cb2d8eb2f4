"""Triage and reply suggestion for stored messages: the body of the analysis jobs.

Three steps, so that no database transaction is open while models run: `plan` reads what is
missing, `compute` runs the engine, `store` writes. Idempotent: a message that already has
an analysis and a current suggestion is skipped, and a row another worker stored between
`plan` and `store` is left alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from smartinbox.ai.engine import Engine, MessageInput, Suggestion, Triage, Turn
from smartinbox.config import Settings
from smartinbox.inbox import repository as repo
from smartinbox.inbox import threads
from smartinbox.kit.text import html_to_text
from smartinbox.kit.timeutil import utcnow
from smartinbox.memory.service import guard_suggestion
from smartinbox.models import AIReply, Analysis, Message
from smartinbox.versions.engines import live_engine
from smartinbox.versions.service import live_version

log = logging.getLogger(__name__)


def engine_for(settings: Settings) -> Engine:
    """The engine that answers: an OpenAI-compatible endpoint when configured, else the live
    version's local engine (a retrained version answers with its own models and memory)."""
    if settings.ai_provider == "openai":
        # Imported here: the registry loads the model code, which this module never needs.
        from smartinbox.ai.registry import engine_for_settings
        from smartinbox.versions.engines import default_engine

        default_engine(settings)  # the memory the provider retrieves from, replayed once
        return engine_for_settings(settings)
    return live_engine(settings)


# Most earlier turns (customer messages and agent replies) handed to the engine.
HISTORY_LIMIT = 8


def as_input(message: Message, history: tuple[Turn, ...] = ()) -> MessageInput:
    body = html_to_text(message.body) if message.body_format == "html" else message.body
    return MessageInput(
        body=body,
        subject=message.subject,
        customer_name=message.customer.name if message.customer else None,
        message_id=message.id,
        history=history,
    )


def histories(session: Session, messages: Sequence[Message]) -> dict[int, tuple[Turn, ...]]:
    """Each message's earlier turns in its conversation: the customer's messages received
    before it and the replies sent before it, oldest first, the last few only."""
    turns = repo.conversation_turns(
        session, sorted({m.conversation_id for m in messages if m.conversation_id is not None})
    )
    out: dict[int, tuple[Turn, ...]] = {}
    for m in messages:
        if m.conversation_id is None:
            continue
        earlier = [
            Turn(role=role, text=text, ref_id=ref)
            for at, mid, role, ref, text in turns.get(m.conversation_id, [])
            if mid != m.id and (at, mid) < (m.received_at, m.id)
        ]
        if earlier:
            out[m.id] = tuple(earlier[-HISTORY_LIMIT:])
    return out


def snooze_reason(triage: Triage, suggestion: Suggestion, threshold: float) -> str | None:
    if triage.spam >= 0.5 or triage.kind == "spam":
        return "Looks like spam or a test message; no reply suggested for sending."
    if suggestion.abstained:
        # Starts with "No confident suggestion": the API's `abstained` reads it from here.
        return (suggestion.note or "No confident suggestion.") + (
            " The text shown is the closest stored reply, for reference only."
        )
    if suggestion.confidence < threshold:
        reason = (
            f"Low confidence ({suggestion.confidence:.2f} < {threshold:.2f}): "
            "needs a human review before it is used."
        )
        return f"{reason} {suggestion.note}" if suggestion.note else reason
    return None


@dataclass
class Work:
    """One message to analyse, read in a short read-only transaction."""

    message_id: int
    data: MessageInput
    triage: Triage | None  # already stored, or None
    needs_reply: bool
    suggestion: Suggestion | None = None
    triage_ms: float = 0.0


def plan(session: Session, message_ids: Sequence[int]) -> list[Work]:
    messages = repo.messages_for_analysis(session, list(message_ids))
    replies = repo.current_replies(session, [m.id for m in messages])
    todo = [m for m in messages if not (m.analysis is not None and m.id in replies)]
    history = histories(session, todo)
    work = []
    for m in todo:
        stored = _as_triage(m.analysis) if m.analysis is not None else None
        work.append(Work(m.id, as_input(m, history.get(m.id, ())), stored, m.id not in replies))
    return work


def compute(settings: Settings, work: list[Work]) -> Engine:
    """The model work, outside any transaction so writers are never held up by it."""
    engine = engine_for(settings)
    fresh = [w for w in work if w.triage is None]
    if fresh:
        started = time.perf_counter()
        triages = engine.analyze([w.data for w in fresh])
        per_message_ms = (time.perf_counter() - started) * 1000 / len(fresh)
        for w, triage in zip(fresh, triages, strict=True):
            w.triage, w.triage_ms = triage, triage.latency_ms or per_message_ms
    for w in work:
        if w.needs_reply and w.triage is not None:
            w.suggestion = engine.suggest(w.data, w.triage)
    return engine


def store(session: Session, settings: Settings, engine: Engine, work: list[Work]) -> int:
    """Write the results; rows another worker stored meanwhile are left as they are."""
    version = live_version(session, provider=engine.name, model=engine.version)
    messages = {m.id: m for m in repo.messages_for_analysis(session, [w.message_id for w in work])}
    replies = repo.current_replies(session, list(messages))
    conversations = repo.get_conversations(
        session, {m.conversation_id for m in messages.values() if m.conversation_id is not None}
    )
    rows: list[Analysis | AIReply] = []
    stored = 0
    for w in work:
        message = messages.get(w.message_id)
        if message is None or w.triage is None:
            continue  # deleted meanwhile
        if message.analysis is None:
            rows.append(_analysis_row(message.id, w, engine, version.id))
            if message.status == "new":
                message.status = "open"
            conversation = conversations.get(message.conversation_id or 0)
            if conversation is not None:
                threads.triaged(
                    settings, conversation, w.triage.kind, w.triage.urgency, w.triage.spam
                )
            stored += 1
        if w.suggestion is not None and message.id not in replies:
            # Held to the memory review: unreviewed replies stay below the threshold.
            review_note = guard_suggestion(session, settings, w.suggestion)
            reason = snooze_reason(w.triage, w.suggestion, settings.auto_snooze_threshold)
            row = _reply_row(message.id, w.suggestion, reason, engine, version.id)
            row.context_refs = [t.ref_id for t in w.data.history if t.ref_id]
            row.review_note = review_note
            rows.append(row)
    # One flush for the batch: the rows go out as a few multi-row statements, not two round
    # trips per message.
    repo.add_all(session, rows)
    log.info("analysed messages", extra={"count": len(work), "engine": engine.version})
    return stored


def _analysis_row(message_id: int, w: Work, engine: Engine, version_id: int) -> Analysis:
    t = w.triage
    assert t is not None
    return Analysis(
        message_id=message_id,
        kind=t.kind,
        topic=t.topic,
        urgency=float(min(1.0, max(0.0, t.urgency))),
        sentiment=float(min(1.0, max(-1.0, t.sentiment))),
        spam=float(min(1.0, max(0.0, t.spam))),
        language=t.language,
        out_of_scope=t.out_of_scope,
        confidence={k: round(float(v), 4) for k, v in t.confidence.items()},
        model_version=t.model_version or engine.version,
        assistant_version_id=version_id,
        latency_ms=round(w.triage_ms, 3),
    )


def _reply_row(
    message_id: int, suggestion: Suggestion, reason: str | None, engine: Engine, version_id: int
) -> AIReply:
    return AIReply(
        message_id=message_id,
        text=suggestion.text,
        confidence=float(min(1.0, max(0.0, suggestion.confidence))),
        snoozed=reason is not None,
        snooze_reason=reason,
        evidence=[e.to_dict() for e in suggestion.evidence],
        assistant_version_id=version_id,
        provider=suggestion.provider,
        model=suggestion.model or engine.version,
        prompt_version=suggestion.prompt_version,
        latency_ms=round(suggestion.latency_ms, 3),
        is_current=True,
    )


def _as_triage(stored: Analysis) -> Triage:
    return Triage(
        kind=stored.kind,
        topic=stored.topic,
        urgency=stored.urgency,
        sentiment=stored.sentiment,
        spam=stored.spam,
        language=stored.language,
        out_of_scope=stored.out_of_scope,
        confidence=dict(stored.confidence),
        model_version=stored.model_version,
    )


def sweep(session: Session, settings: Settings) -> list[int]:
    """Ids of messages whose analysis is overdue (a lost job); the caller re-queues them."""
    cutoff = utcnow() - timedelta(seconds=settings.sweep_after_s)
    return repo.untriaged_ids(session, cutoff, settings.sweep_batch)
