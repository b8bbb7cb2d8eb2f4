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
    conversation_key: str | None = Field(
        None,
        max_length=255,
        description=(
            "The channel's own thread id (chat id, ticket id): messages of one channel with the "
            "same key form one conversation. Without it, a message joins the same customer's "
            "conversation with the same subject (Re:/Fwd: removed) within the window."
        ),
    )

    @field_validator("conversation_key")
    @classmethod
    def _conversation_key(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise ValueError("must not be blank (leave it out instead)")
        if not value.isprintable():
            raise ValueError("must be printable text without control characters")
        return value

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
        if "\x00" in value:
            raise ValueError("must not contain NUL (\\u0000) characters")
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
    context_refs: list[str] = Field(
        default_factory=list,
        description="Earlier turns of the conversation the assistant read ('message:12', "
        "'reply:3').",
    )
    review_note: str | None = Field(
        None, description="Set when the suggestion repeats a reply nobody has reviewed yet."
    )

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
    macro_id: int | None = None
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
    conversation_id: int | None
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
    idempotency_key: str | None = Field(
        None,
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:\-]+$",
        description=(
            "A key unique to this send (a UUID); a retry or double click with the same key "
            "stores one reply and answers with it. The Idempotency-Key header does the same."
        ),
    )

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

    field: Literal["topic", "kind", "urgency", "sentiment", "spam"] = Field(
        ..., description="The triage field corrected."
    )
    value: str = Field(
        ...,
        min_length=1,
        max_length=200,
        description="The right label: one of the known kinds or the team's topics; urgency low, "
        "medium, high, critical or P1-P5; sentiment negative, neutral, positive or a number from "
        "-1 to 1; spam spam/ham, yes/no, 1/0 or true/false.",
    )
    new_topic: bool = Field(
        False, description="The value is a new topic of the team's own (topic corrections only)."
    )

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
