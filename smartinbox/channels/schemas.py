"""Pydantic I/O of the channels domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from smartinbox.inbox.schemas import MessageOut


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size: int = Field(description="Size of the file in bytes.")
    stored: bool = Field(description="False when the file was over the size limit and not kept.")
    skipped_reason: str | None = None
    download_url: str | None = Field(None, description="Where the stored file is downloaded.")


class EmailOut(BaseModel):
    header_message_id: str = Field(description="The mail's Message-ID (without < >).")
    in_reply_to: str | None
    references: list[str]
    from_address: str
    to_addresses: list[str]
    display_text: str = Field(description="The whole text, quoted history and signature kept.")
    has_html: bool = Field(description="The mail had an HTML part (shown only as text).")
    automated: str | None = Field(
        description="auto_reply, bounce or list: stored and shown, never answered automatically."
    )
    automated_reason: str | None
    attachments: list[AttachmentOut]


class InboundEmailOut(BaseModel):
    created: bool = Field(description="False when a mail with this Message-ID was already in.")
    message: MessageOut
    email: EmailOut | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agent_reply_id: int
    channel: str
    status: str = Field(description="queued, sent or failed.")
    recipient: str
    rfc_message_id: str | None = Field(description="The Message-ID the reply goes out with.")
    attempts: int
    last_error: str | None = Field(description="The server's reason for the last failure.")
    next_attempt_at: datetime | None
    sent_at: datetime | None
