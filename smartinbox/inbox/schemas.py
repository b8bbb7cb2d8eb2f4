"""Pydantic input and output of the inbox API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from smartinbox.ai.reply_choice import NO_CONFIDENT
from smartinbox.models.inbox import MESSAGE_STATUSES

Status = Literal["new", "open", "snoozed", "replied", "escalated", "closed"]
assert set(MESSAGE_STATUSES) == set(Status.__args__)  # type: ignore[attr-defined]


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=320, description="Customer e-mail address.")
    name: str | None = Field(None, max_length=200, description="Customer display name.")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().lower()
        local, at, domain = value.partition("@")
        if not at or not local or "." not in domain or " " in value:
            raise ValueError("must be an e-mail address like name@example.com")
        return value


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    channel: str = Field(
        ...,
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="Where the message came from: api, email, chat, web, ... (letters, digits, _.-).",
    )
    external_id: str = Field(
        ...,
        min_length=1,
        max_length=255,
        description="The sender system's id; (channel, external_id) makes ingest idempotent.",
    )
    subject: str | None = Field(None, max_length=998, description="Subject line, if any.")
    body: str = Field(..., description="Message text (plain text or HTML, kept as sent).")
    customer: CustomerIn | None = None
    received_at: datetime | None = Field(
        None, description="When the customer sent it (ISO 8601); defaults to now."
    )

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[MessageIn] = Field(..., min_length=1, description="Up to the batch limit.")


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str | None
    name: str


class AnalysisOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    topic: str
    urgency: float
    sentiment: float
    spam: float
    language: str
    out_of_scope: bool
    confidence: dict[str, float]
    model_version: str
    latency_ms: float
    created_at: datetime


class SuggestionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    confidence: float
    snoozed: bool
    snooze_reason: str | None
    evidence: list[dict[str, Any]]
    assistant_version_id: int | None
    provider: str
    model: str
    prompt_version: str | None
    latency_ms: float
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def abstained(self) -> bool:
        """Nothing stored fitted the message: `text` is the closest evidence, not a reply to
        send (the engine's "no confident suggestion", stated in `snooze_reason`)."""
        return bool(self.snooze_reason and self.snooze_reason.startswith(NO_CONFIDENT))


class AgentReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    usage: str
    edit_distance: int | None
    ai_reply_id: int | None
    author_id: int | None
    created_at: datetime


class MessageOut(BaseModel):
    id: int
    channel: str
    external_id: str
    subject: str
    body: str
    body_format: str
    status: Status
    received_at: datetime
    created_at: datetime
    customer: CustomerOut | None
    assignee_id: int | None
    analysis: AnalysisOut | None
    suggestion: SuggestionOut | None


class MessageDetailOut(MessageOut):
    replies: list[AgentReplyOut] = Field(default_factory=list)


class BatchItemOut(BaseModel):
    index: int
    id: int
    created: bool


class BatchOut(BaseModel):
    created: int
    existing: int
    items: list[BatchItemOut]


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., min_length=1, max_length=100_000, description="The reply sent.")

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class MessageFilters(BaseModel):
    status: Status | None = None
    kind: str | None = None
    topic: str | None = None
    min_urgency: float | None = Field(None, ge=0, le=1)
    snoozed: bool | None = None
    q: str | None = Field(None, max_length=200, description="Text search in subject and body.")


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: Literal["topic", "kind"] = Field(..., description="The triage field corrected.")
    value: str = Field(..., min_length=1, max_length=64, description="The right label.")

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value


class CorrectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: int
    field: str
    old_value: str | None
    value: str
