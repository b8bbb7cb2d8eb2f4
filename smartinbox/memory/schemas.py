"""Pydantic I/O of the memory review."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ReviewStatus = Literal["unreviewed", "approved", "held", "junk", "removed"]


class MemoryReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ref_id: str
    message_id: int | None
    message: str
    reply: str
    status: ReviewStatus
    reason: str | None = Field(None, description="Why the reply is held or not remembered.")
    learned_from: str | None = Field(None, description="The agent the reply was learned from.")
    reviewed_by: str | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class MemoryPageOut(BaseModel):
    items: list[MemoryReplyOut]
    total: int


class MemoryEditIn(BaseModel):
    reply: str = Field(..., min_length=1, max_length=20_000, description="The reply to remember.")
