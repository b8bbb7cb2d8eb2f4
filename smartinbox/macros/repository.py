"""All SQL of macros."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinbox.models import ReplyMacro


def list_macros(session: Session, active_only: bool) -> list[ReplyMacro]:
    query = select(ReplyMacro).order_by(ReplyMacro.title, ReplyMacro.id)
    if active_only:
        query = query.where(ReplyMacro.active.is_(True))
    return list(session.scalars(query))


def get(session: Session, macro_id: int) -> ReplyMacro | None:
    return session.get(ReplyMacro, macro_id)


def add(session: Session, macro: ReplyMacro) -> ReplyMacro:
    session.add(macro)
    session.flush()
    return macro


def delete(session: Session, macro: ReplyMacro) -> None:
    session.delete(macro)
    session.flush()
