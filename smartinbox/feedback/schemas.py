"""Pydantic input and output of the feedback API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

YesNo = Literal["yes", "no"]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    useful: bool = Field(..., description="Was the suggested reply useful?")
    score: int | None = Field(None, ge=1, le=5, description="Optional 1-5 star score.")
    notes: str | None = Field(None, max_length=4000, description="Optional free-text notes.")


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: int
    ai_reply_id: int | None
    author_id: int | None
    useful: bool
    score: int | None
    notes: str | None
    is_current: bool
    created_at: datetime
    replaced: int = Field(0, description="Earlier ratings by this agent, kept as history.")


class ReplayIn(BaseModel):
    """The seed's body: customer message, AI reply, agent reply and the rating."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    message: str = Field(..., min_length=1, max_length=65536)
    ai_reply: str = Field(..., alias="aiReply", min_length=1, max_length=65536)
    agent_reply: str | None = Field(None, alias="agentReply", max_length=65536)
    feedback: YesNo | None = Field(None, description="'yes' (useful) or 'no' (not useful).")
    topic: str | None = Field(None, max_length=64)


class ImprovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    improved_reply: str
    original_reply: str
    model: str | None
    provider: str | None = None
    prompt_version: str | None = None
    created_at: datetime


class ReplayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: int | None
    ai_reply_id: int | None
    message: str
    ai_reply: str
    agent_reply: str | None
    feedback: YesNo | None
    topic: str | None
    assistant_version_id: int | None
    version_tag: str | None = None
    failure_explanation: str | None
    failure_explanation_provenance: dict[str, str | None] | None = None
    improvement: ImprovementOut | None = None
    created_at: datetime


class ReplayFilters(BaseModel):
    feedback: YesNo | None = None
    topic: str | None = Field(None, max_length=64)
    version: str | None = Field(None, max_length=32, description="Assistant version tag.")
    since: datetime | None = None


class ExplanationOut(BaseModel):
    replay_id: int
    explanation: str
    provider: str | None = None  # who wrote it (absent for explanations stored before this)
    model: str | None = None
    prompt_version: str | None = None


class ReplyExplanationOut(BaseModel):
    """ "Why this reply?" for a suggestion, and who wrote the answer."""

    model_config = ConfigDict(from_attributes=True)

    ai_reply_id: int
    text: str
    provider: str
    model: str
    prompt_version: str | None
    created_at: datetime
