"""Pydantic input and output of saved replies (macros)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from smartinbox.kit.tags import clean_tag

MacroStatus = Literal["open", "pending", "solved", "closed"]
ConversationStatus = Literal["open", "pending", "snoozed", "solved", "closed"]


def _text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if not value.strip():
        raise ValueError("must contain text")
    return value.strip()


class MacroIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(..., min_length=1, max_length=200, description="Name agents pick it by.")
    body: str = Field(
        ...,
        min_length=1,
        max_length=20_000,
        description=(
            "The reply. Placeholders such as {customer_name} or {order_number} are filled from "
            "the conversation, or worded around when it does not give them."
        ),
    )
    set_status: MacroStatus | None = Field(
        None, description="Status the conversation takes when a reply made from it is sent."
    )
    add_tags: list[str] = Field(
        default_factory=list, max_length=10, description="Tags added when it is sent."
    )
    topic: str | None = Field(None, max_length=64, description="The topic it answers, if one.")
    active: bool = Field(True, description="Offered in the composer.")

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return _text(value)

    @field_validator("add_tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return sorted({clean_tag(t) for t in value})


class MacroPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=20_000)
    set_status: MacroStatus | None = None
    clear_status: bool = Field(False, description="Remove the status action.")
    add_tags: list[str] | None = Field(None, max_length=10)
    topic: str | None = Field(None, max_length=64)
    active: bool | None = None

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        return None if value is None else _text(value)

    @field_validator("add_tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else sorted({clean_tag(t) for t in value})


class MacroOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    set_status: ConversationStatus | None
    add_tags: list[str]
    topic: str | None
    active: bool
    author_id: int | None
    created_at: datetime
    updated_at: datetime | None


class RenderedMacro(BaseModel):
    macro_id: int
    text: str = Field(description="The body with its placeholders filled or worded around.")
    filled: dict[str, str] = Field(description="Placeholder -> the value taken from the message.")
    left_out: list[str] = Field(description="Placeholders the conversation gave no value for.")
    set_status: ConversationStatus | None
    add_tags: list[str]
