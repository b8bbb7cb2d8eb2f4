"""Rules of the memory review. Never commits.

A reply an agent wrote or approved enters the reply memory as *unreviewed*: it may be
suggested, but only below the auto-snooze threshold and with a note naming the one agent it
was learned from, until a second agent approves it (by approving it here, or by sending or
rating useful a suggestion built from it) or an admin reviews it. A reply with links or e-mail
addresses outside `allowed_reply_domains` is *held* and never suggested; an accidental one is
*junk* and never remembered. Held, junk and removed replies are left out of the memory every
worker loads and out of the training exports; removing or editing one bumps the memory stamp,
which makes every worker rebuild the memory it has loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from smartinbox.ai.engine import MemoryItem, Suggestion
from smartinbox.config import Settings
from smartinbox.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from smartinbox.kit.text import strip_control
from smartinbox.kit.timeutil import utcnow
from smartinbox.memory import guard
from smartinbox.memory import repository as repo
from smartinbox.models import MemoryReview, User
from smartinbox.models.memory import BLOCKED_STATUSES

# Below the threshold by this much, so an unreviewed reply is always auto-snoozed.
BELOW_THRESHOLD = 0.01
NO_SUGGESTION = (
    "No confident suggestion: the closest remembered reply is waiting for an admin's review."
)


def _who(user: User | None) -> str | None:
    if user is None:
        return None
    return user.name or user.email


def note(row: MemoryReview) -> str:
    return f"Learned from one reply by {row.learned_from or 'an unknown agent'}, unreviewed."


def status_for(settings: Settings, reply: str) -> tuple[str, str | None]:
    junk = guard.junk_reason(reply)
    if junk:
        return "junk", junk
    held = guard.hold_reason(reply, guard.allowed_domains(settings.allowed_reply_domains))
    if held:
        return "held", held
    return "unreviewed", None


def register(
    session: Session, settings: Settings, items: Sequence[MemoryItem], author: User | None
) -> list[MemoryItem]:
    """Record what instant learning is about to remember; returns the items it may remember."""
    out = []
    for item in items:
        if not item.ref_id:
            continue
        reply = item.reply.strip()
        row = repo.by_ref(session, item.ref_id)
        if row is None or row.reply.strip() != reply:
            status, reason = status_for(settings, reply)
            if row is None:
                row = MemoryReview(ref_id=item.ref_id, message=item.message, reply=reply)
                session.add(row)
            row.message_id = _message_id(item.ref_id)
            row.message, row.reply, row.status, row.reason = item.message, reply, status, reason
            row.learned_from_id = author.id if author else None
            row.learned_from = _who(author)
            row.reviewed_by_id, row.reviewed_by, row.reviewed_at = None, None, None
            session.flush()
        if row.status not in BLOCKED_STATUSES:
            out.append(replace(item, reply=row.reply))
    return out


def _message_id(ref_id: str) -> int | None:
    kind, _, value = ref_id.partition(":")
    return int(value) if kind == "message" and value.isdigit() else None


def approved_by_use(session: Session, evidence: Sequence[dict[str, object]], user_id: int) -> None:
    """A second agent sent (or rated useful) a suggestion built from an unreviewed reply."""
    ref = evidence[0].get("ref_id") if evidence else None
    if not isinstance(ref, str):
        return
    row = repo.by_ref(session, ref)
    if row is None or row.status != "unreviewed" or row.learned_from_id in (None, user_id):
        return
    user = session.get(User, user_id)
    _mark_reviewed(row, user, "approved")
    session.flush()


def _mark_reviewed(row: MemoryReview, user: User | None, status: str) -> None:
    row.status = status
    row.reviewed_by_id = user.id if user else None
    row.reviewed_by = _who(user)
    row.reviewed_at = utcnow()


def get(session: Session, review_id: int) -> MemoryReview:
    row = repo.get(session, review_id)
    if row is None:
        raise NotFound(f"remembered reply {review_id} does not exist", field="id")
    return row


def approve(session: Session, review_id: int, user: User | None) -> MemoryReview:
    """An admin reviews any reply; another agent may approve an unreviewed one."""
    row = get(session, review_id)
    # None: the CLI, run by whoever runs the server, reviews as an admin.
    if user is not None and not user.is_admin:
        if row.status != "unreviewed":
            raise Forbidden(f"only an admin can approve a {row.status} reply", field="id")
        if row.learned_from_id == user.id:
            raise Conflict("a second agent must approve a reply learned from you", field="id")
    was_blocked = row.status in BLOCKED_STATUSES
    _mark_reviewed(row, user, "approved")
    session.flush()
    if was_blocked:
        repo.bump_stamp(session)
    return row


def edit(
    session: Session, settings: Settings, review_id: int, text: str, user: User | None
) -> MemoryReview:
    """An admin rewrites a remembered reply: the memory and the exports then learn the edit."""
    _require_admin(user)
    row = get(session, review_id)
    reply = strip_control(text).strip()
    if not reply:
        raise ValidationFailed("reply must not be blank", field="reply")
    status, reason = status_for(settings, reply)
    if status != "unreviewed":
        raise ValidationFailed(f"reply is {reason}", field="reply")
    row.reply, row.reason = reply, None
    _mark_reviewed(row, user, "approved")
    if row.message_id is not None:
        repo.set_example_completion(session, row.message_id, reply)
    session.flush()
    repo.bump_stamp(session)
    return row


def remove(session: Session, review_id: int, user: User | None) -> MemoryReview:
    _require_admin(user)
    row = get(session, review_id)
    _mark_reviewed(row, user, "removed")
    session.flush()
    repo.bump_stamp(session)
    return row


def _require_admin(user: User | None) -> None:
    if user is not None and not user.is_admin:
        raise Forbidden("only an admin can edit or remove a remembered reply", field="id")


@dataclass
class Overrides:
    """What the review says about remembered replies, to apply to a memory being loaded."""

    states: dict[str, tuple[str, str]]

    def apply(self, items: Sequence[MemoryItem]) -> list[MemoryItem]:
        out = []
        for item in items:
            state = self.states.get(item.ref_id or "")
            if state is None:
                out.append(item)
            elif state[0] not in BLOCKED_STATUSES:
                out.append(replace(item, reply=state[1]))
        return out


def overrides(session: Session) -> Overrides:
    return Overrides(repo.all_states(session))


def guard_suggestion(session: Session, settings: Settings, suggestion: Suggestion) -> str | None:
    """Hold a suggestion to its memory's review; returns the note to show beside it.

    Evidence from a held, junk or removed reply is dropped (a worker may not have rebuilt its
    memory yet); when the suggestion was built from one, nothing is suggested. A suggestion
    built from an unreviewed reply stays below the auto-snooze threshold.
    """
    refs = [e.ref_id for e in suggestion.evidence if e.ref_id]
    if not refs:
        return None
    rows = repo.by_refs(session, refs)
    chosen = rows.get(suggestion.evidence[0].ref_id or "")
    suggestion.evidence = [
        e for e in suggestion.evidence
        if (r := rows.get(e.ref_id or "")) is None or r.status not in BLOCKED_STATUSES
    ]  # fmt: skip
    if chosen is None:
        return None
    if chosen.status in BLOCKED_STATUSES:
        suggestion.text, suggestion.confidence = NO_SUGGESTION, 0.0
        suggestion.note = "The remembered reply it came from is not approved for use."
        return None
    if chosen.status == "unreviewed":
        cap = max(0.0, settings.auto_snooze_threshold - BELOW_THRESHOLD)
        suggestion.confidence = min(suggestion.confidence, cap)
        text = note(chosen)
        suggestion.note = f"{suggestion.note} {text}" if suggestion.note else text
        return text
    return None
