"""Customer satisfaction: a signed link in the reply that solves a conversation, where the
customer rates it 1-5 once, without logging in. Never commits.

The link signs the conversation and the moment it was solved: a conversation reopened and
solved again gets a new link and can be rated again; one solve is rated once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartinbox.config import Settings
from smartinbox.csat import repository as repo
from smartinbox.kit.errors import Conflict, NotFound, ValidationFailed
from smartinbox.kit.timeutil import as_utc
from smartinbox.models import Conversation, CsatRating

SALT = "smartinbox.csat"
MAX_COMMENT = 2000


@dataclass(frozen=True)
class CsatClaim:
    conversation_id: int
    solved_at: datetime


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.resolved_secret_key(), salt=SALT)


def link(settings: Settings, conversation_id: int, solved_at: datetime) -> str:
    token = _serializer(settings).dumps([conversation_id, as_utc(solved_at).isoformat()])
    return f"{settings.public_url.rstrip('/')}/csat/{token}"


INVITATION = "How did we do? Rate this conversation: "


def with_link(settings: Settings, text: str, conversation_id: int, solved_at: datetime) -> str:
    """The reply with the rating invitation after it (once)."""
    if INVITATION in text:
        return text
    url = link(settings, conversation_id, solved_at)
    return f"{text.rstrip()}\n\n{INVITATION}{url}"


def without_link(text: str) -> str:
    """The reply as the agent wrote it: what the assistant may learn and repeat. A link signed
    for one customer's conversation must never reach another's suggestion."""
    at = text.rfind(INVITATION)
    return text[:at].rstrip() if at >= 0 else text


def read_token(settings: Settings, token: str) -> CsatClaim:
    try:
        raw = _serializer(settings).loads(token, max_age=settings.csat_link_max_age_days * 86400)
        conversation_id, stamp = int(raw[0]), datetime.fromisoformat(str(raw[1]))
    except SignatureExpired as exc:
        raise ValidationFailed("this rating link has expired", field="token") from exc
    except (BadSignature, TypeError, ValueError, IndexError, KeyError) as exc:
        raise NotFound("this rating link is not valid", field="token") from exc
    return CsatClaim(conversation_id, as_utc(stamp))


def existing(session: Session, claim: CsatClaim) -> CsatRating | None:
    return repo.find(session, claim.conversation_id, claim.solved_at)


def rate(
    session: Session, settings: Settings, token: str, rating: int, comment: str | None
) -> CsatRating:
    claim = read_token(settings, token)
    if session.get(Conversation, claim.conversation_id) is None:
        raise NotFound("this conversation no longer exists", field="token")
    if not 1 <= rating <= 5:
        raise ValidationFailed("rating must be a whole number from 1 to 5", field="rating")
    text = (comment or "").replace("\x00", "").strip() or None
    if text is not None and len(text) > MAX_COMMENT:
        raise ValidationFailed(
            f"comment is at most {MAX_COMMENT} characters; this one has {len(text)}",
            field="comment",
        )
    if existing(session, claim) is not None:
        raise Conflict("this conversation was already rated; thank you", field="token")
    row = CsatRating(
        conversation_id=claim.conversation_id,
        solved_at=claim.solved_at,
        rating=rating,
        comment=text,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("this conversation was already rated; thank you", field="token") from exc
    return row


def summary(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> dict[str, float | int | None]:
    """CSAT as helpdesks report it: the share of 4 and 5 ratings, with the average."""
    counts = repo.counts(session, start, end)
    total = sum(counts.values())
    satisfied = counts.get(4, 0) + counts.get(5, 0)
    return {
        "ratings": total,
        "csat": round(satisfied / total, 4) if total else None,
        "average": round(sum(k * v for k, v in counts.items()) / total, 2) if total else None,
    }
