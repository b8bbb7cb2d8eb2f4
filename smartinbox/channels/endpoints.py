"""JSON API of the channels: inbound e-mail, a message's e-mail details, attachment download."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response, status

from smartinbox.channels import email_in
from smartinbox.channels import repository as repo
from smartinbox.channels import views as channel_views
from smartinbox.channels.schemas import DeliveryOut, EmailOut, InboundEmailOut
from smartinbox.deps import CurrentUser, SessionDep, SettingsDep
from smartinbox.inbox import service as inbox_service
from smartinbox.inbox.tasks import queue_analysis
from smartinbox.kit.errors import NotFound, ValidationFailed
from smartinbox.kit.ids import RowId
from smartinbox.worker import enqueue

router = APIRouter(tags=["channels"])

RFC822_TYPES = ("message/rfc822", "application/octet-stream", "text/plain")


async def _raw_email(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in RFC822_TYPES:
        raise ValidationFailed(
            "Content-Type must be message/rfc822 (the raw mail as the body)",
            field="content-type",
        )
    return await request.body()


RawEmail = Annotated[bytes, Depends(_raw_email)]


@router.post(
    "/api/inbound/email",
    response_model=InboundEmailOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "A mail with this Message-ID was already stored."}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def inbound_email(
    _user: CurrentUser,  # first: an unauthenticated caller gets 401 before any body check
    raw: RawEmail,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> InboundEmailOut:
    """Store one raw mail (an MTA pipe or a provider's inbound hook): `Content-Type:
    message/rfc822`, the mail as the body."""
    result = email_in.ingest_email(session, settings, raw)
    if result.created:
        enqueue(session, queue_analysis, [result.message.id])
    else:
        response.status_code = status.HTTP_200_OK
    return InboundEmailOut(
        created=result.created,
        message=inbox_service.message_view(session, result.message),
        email=email_in.email_out(session, result.email) if result.email else None,
    )


@router.get("/api/messages/{message_id}/email", response_model=EmailOut)
def message_email(message_id: RowId, session: SessionDep, _user: CurrentUser) -> EmailOut:
    """Headers, whole text and files of a message that came by e-mail."""
    email = repo.email_for_message(session, message_id)
    if email is None:
        raise NotFound(f"message {message_id} did not come by e-mail", field="id")
    return email_in.email_out(session, email)


@router.get("/api/attachments/{attachment_id}", response_class=Response)
def download_attachment(attachment_id: RowId, session: SessionDep, _user: CurrentUser) -> Response:
    """The stored file, always as a download (never shown inline, never sniffed)."""
    attachment = repo.get_attachment(session, attachment_id)
    if attachment is None or attachment.data is None:
        raise NotFound(f"attachment {attachment_id} does not exist or was not kept", field="id")
    return Response(
        content=attachment.data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )


@router.get("/api/replies/{reply_id}/deliveries", response_model=list[DeliveryOut])
def reply_deliveries(reply_id: RowId, session: SessionDep, _user: CurrentUser) -> list[DeliveryOut]:
    """How the agent reply is getting to the customer: queued, sent or failed (with why)."""
    return [DeliveryOut.model_validate(d) for d in repo.deliveries_for_replies(session, [reply_id])]


@router.post("/api/deliveries/{delivery_id}/retry", response_model=DeliveryOut)
def retry_delivery(delivery_id: RowId, session: SessionDep, _user: CurrentUser) -> DeliveryOut:
    """Send a failed reply again (same Message-ID); a sent reply is never sent twice."""
    return channel_views.retry(session, delivery_id)
