"""Pydantic input and output of the conversations API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from smartinbox.inbox.schemas import AgentReplyOut, CustomerOut, MessageOut
from smartinbox.kit.tags import TAG_RE as TAG_RE
from smartinbox.kit.tags import clean_tag as clean_tag
from smartinbox.models.conversations import CONVERSATION_STATUSES

ConversationStatus = Literal["open", "pending", "snoozed", "solved", "closed"]
assert set(CONVERSATION_STATUSES) == set(ConversationStatus.__args__)  # type: ignore[attr-defined]
Priority = Literal["urgent", "high", "normal", "low"]
StatusView = Literal["open", "pending", "snoozed", "solved", "closed", "active", "all"]
AssigneeView = Literal["all", "mine", "unassigned"]

MAX_TAGS = 20


class SlaOut(BaseModel):
    first_response_due: datetime | None
    first_response_at: datetime | None
    resolution_due: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    at_risk: bool = Field(description="Not breached yet, but due within the warning window.")
    due_at: datetime | None = Field(description="The next target still running, if any.")


class ConversationOut(BaseModel):
    id: int
    channel: str
    subject: str
    status: ConversationStatus
    snoozed_until: datetime | None
    assignee_id: int | None
    assignee_email: str | None
    priority: Priority
    priority_source: str
    tags: list[str]
    spam: bool
    customer: CustomerOut | None
    message_count: int
    first_message_at: datetime
    last_message_at: datetime
    solved_at: datetime | None
    sla: SlaOut
    preview: str = Field("", description="The start of the latest customer message.")


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    author_id: int | None
    text: str
    created_at: datetime


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event: str
    actor_id: int | None
    actor_email: str | None = None
    data: dict[str, Any]
    created_at: datetime


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]
    replies: list[AgentReplyOut]
    notes: list[NoteOut]
    events: list[EventOut]


class ConversationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ConversationStatus | None = None
    snoozed_until: datetime | None = Field(
        None, description="Required with status 'snoozed': when the conversation wakes up."
    )
    assignee_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="The agent to assign; see `unassign`."
    )
    unassign: bool = Field(False, description="Remove the assignee.")
    tags: list[str] | None = Field(None, max_length=MAX_TAGS, description="The full tag list.")
    priority: Priority | None = None
    spam: bool | None = Field(None, description="false marks the conversation as not spam.")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return sorted({clean_tag(t) for t in value})

    @model_validator(mode="after")
    def _consistent(self) -> ConversationPatch:
        if self.status == "snoozed" and self.snoozed_until is None:
            raise ValueError("snoozed_until is required when status is 'snoozed'")
        if self.snoozed_until is not None and self.status != "snoozed":
            raise ValueError("snoozed_until goes with status 'snoozed'")
        if self.unassign and self.assignee_id is not None:
            raise ValueError("give assignee_id or unassign, not both")
        return self


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., min_length=1, max_length=20_000, description="The internal note.")

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(..., min_length=1, max_length=500, description="Conversation ids.")
    action: Literal["assign", "unassign", "close", "solve", "not_spam", "tag"]
    assignee_id: int | None = Field(None, ge=1, le=2**63 - 1, description="For 'assign'.")
    tag: str | None = Field(None, description="For 'tag'.")

    @field_validator("ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        if any(i < 1 or i > 2**63 - 1 for i in value):
            raise ValueError("every id must be a positive 64-bit integer")
        return sorted(set(value))

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        return None if value is None else clean_tag(value)

    @model_validator(mode="after")
    def _needs(self) -> BulkIn:
        if self.action == "assign" and self.assignee_id is None:
            raise ValueError("assignee_id is required for action 'assign'")
        if self.action == "tag" and self.tag is None:
            raise ValueError("tag is required for action 'tag'")
        return self


class BulkOut(BaseModel):
    changed: list[int]
    unchanged: list[int]


class ConversationFilters(BaseModel):
    status: StatusView = "active"
    assignee: AssigneeView = "all"
    tag: str | None = None
    priority: Priority | None = None
    spam: bool = False


class ConversationReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., min_length=1, max_length=100_000, description="The reply sent.")
    idempotency_key: str | None = Field(
        None,
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="A key unique to this send; a retry with it stores one reply.",
    )
    macro_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="The macro the reply was made from, if any."
    )
    status: Literal["open", "pending", "solved", "closed"] | None = Field(
        None,
        description=(
            "Status after sending (else the macro's). Solving adds the customer's rating link."
        ),
    )

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("write a reply before sending")
        return value
