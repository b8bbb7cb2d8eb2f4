"""Saved replies (macros): create, change, list, delete, and fill one for a customer message.

Placeholders are filled from the message (order, invoice and tracking numbers, amounts) and the
customer's name; one the message does not give is worded around ("your order") or left out
with its comma ("Hi {customer_name}," becomes "Hi,"), never shown in braces. Never commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartinbox.ai.placeholders import extract_entities, fill_placeholders
from smartinbox.kit.errors import NotFound
from smartinbox.kit.timeutil import utcnow
from smartinbox.macros import repository as repo
from smartinbox.macros.schemas import MacroIn, MacroOut, MacroPatch, RenderedMacro
from smartinbox.models import ReplyMacro, User


def list_macros(session: Session, *, active_only: bool = False) -> list[MacroOut]:
    return [MacroOut.model_validate(m) for m in repo.list_macros(session, active_only)]


def get_macro(session: Session, macro_id: int, field: str = "id") -> ReplyMacro:
    macro = repo.get(session, macro_id)
    if macro is None:
        raise NotFound(f"macro {macro_id} does not exist", field=field)
    return macro


def create(session: Session, data: MacroIn, author: User) -> MacroOut:
    macro = ReplyMacro(
        title=data.title,
        body=data.body,
        topic=data.topic,
        set_status=data.set_status,
        add_tags=data.add_tags,
        active=data.active,
        author_id=author.id,
    )
    return MacroOut.model_validate(repo.add(session, macro))


def update(session: Session, macro_id: int, data: MacroPatch) -> MacroOut:
    macro = get_macro(session, macro_id)
    for name in ("title", "body", "topic", "add_tags", "active", "set_status"):
        value = getattr(data, name)
        if value is not None:
            setattr(macro, name, value)
    if data.clear_status:
        macro.set_status = None
    macro.updated_at = utcnow()
    session.flush()
    return MacroOut.model_validate(macro)


def delete(session: Session, macro_id: int) -> None:
    repo.delete(session, get_macro(session, macro_id))


def render(macro: ReplyMacro, message_text: str, customer_name: str | None) -> RenderedMacro:
    """The macro's body filled for one customer message."""
    filled = fill_placeholders(macro.body, extract_entities(message_text), customer_name)
    return RenderedMacro(
        macro_id=macro.id,
        text=filled.text,
        filled=filled.filled,
        left_out=filled.neutralised,
        set_status=macro.set_status,
        add_tags=list(macro.add_tags or []),
    )
