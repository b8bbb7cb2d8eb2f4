"""All SQL of CSAT ratings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartinbox.models import CsatRating


def find(session: Session, conversation_id: int, solved_at: datetime) -> CsatRating | None:
    return session.scalar(
        select(CsatRating).where(
            CsatRating.conversation_id == conversation_id, CsatRating.solved_at == solved_at
        )
    )


def for_conversation(session: Session, conversation_id: int) -> list[CsatRating]:
    return list(
        session.scalars(
            select(CsatRating)
            .where(CsatRating.conversation_id == conversation_id)
            .order_by(CsatRating.created_at, CsatRating.id)
        )
    )


def counts(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> dict[int, int]:
    """Ratings given in [start, end), by score."""
    query = select(CsatRating.rating, func.count()).group_by(CsatRating.rating)
    if start is not None:
        query = query.where(CsatRating.created_at >= start)
    if end is not None:
        query = query.where(CsatRating.created_at < end)
    return {int(r): int(n) for r, n in session.execute(query)}
