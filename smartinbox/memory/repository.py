"""All SQL of the memory review."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from smartinbox.kit.timeutil import utcnow
from smartinbox.models import MemoryReview, MemoryStamp, TrainingExample


def get(session: Session, review_id: int) -> MemoryReview | None:
    return session.get(MemoryReview, review_id)


def by_ref(session: Session, ref_id: str) -> MemoryReview | None:
    return session.scalar(select(MemoryReview).where(MemoryReview.ref_id == ref_id))


def by_refs(session: Session, refs: Iterable[str]) -> dict[str, MemoryReview]:
    wanted = sorted({r for r in refs if r})
    if not wanted:
        return {}
    rows = session.scalars(select(MemoryReview).where(MemoryReview.ref_id.in_(wanted)))
    return {r.ref_id: r for r in rows}


def all_states(session: Session) -> dict[str, tuple[str, str]]:
    """ref_id -> (status, reply) of every reviewed reply."""
    rows = session.execute(select(MemoryReview.ref_id, MemoryReview.status, MemoryReview.reply))
    return {ref: (status, reply) for ref, status, reply in rows}


def listing(
    session: Session, status: str | None, query: str | None, limit: int, offset: int
) -> tuple[Sequence[MemoryReview], int]:
    stmt = select(MemoryReview)
    if status:
        stmt = stmt.where(MemoryReview.status == status)
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(MemoryReview.reply).like(like),
                func.lower(MemoryReview.message).like(like),
                func.lower(func.coalesce(MemoryReview.learned_from, "")).like(like),
            )
        )
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.scalars(
        stmt.order_by(MemoryReview.updated_at.desc(), MemoryReview.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total


def add(session: Session, row: MemoryReview) -> None:
    session.add(row)
    session.flush()


def set_example_completion(session: Session, message_id: int, reply: str) -> None:
    """An admin's edit becomes what the memory and the training exports learn from."""
    session.execute(
        update(TrainingExample)
        .where(TrainingExample.message_id == message_id)
        .values(completion=reply, updated_at=utcnow())
    )


def stamp(session: Session) -> int:
    return int(session.scalar(select(MemoryStamp.version).where(MemoryStamp.id == 1)) or 0)


def bump_stamp(session: Session) -> int:
    """One atomic increment (the migration creates the row; an emptied table gets it back)."""
    bumped = session.execute(
        update(MemoryStamp)
        .where(MemoryStamp.id == 1)
        .values(version=MemoryStamp.version + 1, updated_at=utcnow())
    )
    if not getattr(bumped, "rowcount", 0):
        session.add(MemoryStamp(id=1, version=1, updated_at=utcnow()))
    session.flush()
    return stamp(session)
