"""E-mail in: a raw mail becomes a message of its thread's conversation. Never commits.

The conversation key is the thread's root: the key of the conversation of an earlier stored
mail named in References/In-Reply-To, else the first id of References (or In-Reply-To), else
the mail's own Message-ID. The same Message-ID twice stores one message.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from smartinbox.channels import repository as repo
from smartinbox.channels.mime import ParsedEmail, parse_email
from smartinbox.channels.schemas import AttachmentOut, EmailOut
from smartinbox.config import Settings
from smartinbox.inbox import service as inbox_service
from smartinbox.inbox.repository import get_conversation
from smartinbox.inbox.schemas import CustomerIn, MessageIn
from smartinbox.kit.errors import PayloadTooLarge, ValidationFailed
from smartinbox.models import EmailAttachment, EmailMessage, Message

CHANNEL = "email"
AUTOMATED_TAGS = {"auto_reply": "auto-reply", "bounce": "bounce", "list": "mailing-list"}


@dataclass
class EmailResult:
    message: Message
    created: bool
    email: EmailMessage | None


def _truncate_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def _analysis_body(parsed: ParsedEmail, settings: Settings) -> str:
    body = parsed.analysis_text or parsed.display_text
    if not body.strip():
        names = ", ".join(a.filename for a in parsed.attachments)
        body = f"(no text; attachments: {names})" if names else "(empty e-mail)"
    # The analysed text is bounded like any message; the whole text stays for display.
    return _truncate_utf8(body, settings.max_body_bytes)


def thread_key(session: Session, parsed: ParsedEmail) -> str:
    known = repo.thread_key_of(session, parsed.thread_ids)
    if known:
        return known
    root = parsed.thread_ids[0] if parsed.thread_ids else parsed.message_id
    return root[:255]


def _message_in(session: Session, settings: Settings, parsed: ParsedEmail) -> MessageIn:
    customer = None
    if parsed.from_address:
        try:
            customer = CustomerIn(email=parsed.from_address, name=parsed.from_name or None)
        except ValidationError:
            customer = None  # an unusable From (bounces often have one): stored without
    try:
        return MessageIn(
            channel=CHANNEL,
            external_id=parsed.message_id[:255],
            subject=parsed.subject,
            body=_analysis_body(parsed, settings),
            customer=customer,
            received_at=parsed.date,
            conversation_key=thread_key(session, parsed),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ValidationFailed(f"e-mail {field}: {first['msg']}", field=field) from exc


def _store_attachments(
    session: Session, settings: Settings, email: EmailMessage, parsed: ParsedEmail
) -> None:
    for attachment in parsed.attachments:
        too_big = attachment.size > settings.max_attachment_bytes
        repo.add(
            session,
            EmailAttachment(
                email_id=email.id,
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=attachment.size,
                sha256=attachment.sha256,
                data=None if too_big else attachment.data,
                skipped_reason=(
                    f"{attachment.size} bytes; the limit is {settings.max_attachment_bytes}"
                    if too_big
                    else None
                ),
            ),
        )


def ingest_email(session: Session, settings: Settings, raw: bytes) -> EmailResult:
    """Store one raw RFC 822 mail; a Message-ID seen before returns the first message."""
    if len(raw) > settings.max_email_bytes:
        raise PayloadTooLarge(
            f"the e-mail is {len(raw)} bytes; the limit is {settings.max_email_bytes}",
            field="email",
        )
    if not raw.strip():
        raise ValidationFailed("the e-mail is empty", field="email")
    parsed = parse_email(raw)
    data = _message_in(session, settings, parsed)
    result = inbox_service.ingest(session, settings, data, source="email")
    if not result.created:
        return EmailResult(
            result.message, False, repo.email_for_message(session, result.message.id)
        )
    email = EmailMessage(
        message_id=result.message.id,
        header_message_id=parsed.message_id[:255],
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        from_address=parsed.from_address,
        to_addresses=parsed.to_addresses,
        display_text=parsed.display_text,
        has_html=parsed.has_html,
        automated=parsed.automated,
        automated_reason=parsed.automated_reason,
        headers=parsed.headers,
    )
    repo.add(session, email)
    _store_attachments(session, settings, email, parsed)
    if parsed.automated and result.message.conversation_id is not None:
        conversation = get_conversation(session, result.message.conversation_id)
        tag = AUTOMATED_TAGS[parsed.automated]
        if conversation is not None and tag not in conversation.tags:
            conversation.tags = [*conversation.tags, tag]
    return EmailResult(result.message, True, email)


def email_out(session: Session, email: EmailMessage) -> EmailOut:
    files = [
        AttachmentOut(
            id=a.id,
            filename=a.filename,
            content_type=a.content_type,
            size=a.size,
            stored=a.data is not None,
            skipped_reason=a.skipped_reason,
            download_url=f"/api/attachments/{a.id}" if a.data is not None else None,
        )
        for a in repo.attachments(session, [email.id])
    ]
    return EmailOut(
        header_message_id=email.header_message_id,
        in_reply_to=email.in_reply_to,
        references=list(email.references),
        from_address=email.from_address,
        to_addresses=list(email.to_addresses),
        display_text=email.display_text,
        has_html=email.has_html,
        automated=email.automated,
        automated_reason=email.automated_reason,
        attachments=files,
    )
