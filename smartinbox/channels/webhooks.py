"""Signed webhooks: endpoints, the events they subscribe to, and delivering one event.

Each request is a POST of a JSON body with `X-SmartInbox-Signature: t=<unix time>,v1=<hex>`,
where v1 is HMAC-SHA256 of "<t>.<body>" under the endpoint's secret. A 2xx answer delivers
the event; anything else (or no answer) is tried again with exponential backoff, and every
try leaves its status code and the start of the answer in the delivery log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets as pysecrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from smartinbox.channels import secrets
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.kit.errors import Conflict, NotFound, ValidationFailed
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import WebhookDelivery, WebhookEndpoint
from smartinbox.models.channels import WEBHOOK_EVENTS

SIGNATURE_HEADER = "X-SmartInbox-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, tolerance_s: int = 300) -> bool:
    """Check a signature header as a receiver does (also used for incoming callbacks)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(
        sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}"
    )


def _check(name: str, url: str, events: list[str]) -> None:
    if not name.strip() or len(name) > 100:
        raise ValidationFailed("name must be 1 to 100 characters", field="name")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise ValidationFailed("url must be an http:// or https:// URL", field="url")
    unknown = sorted(set(events) - set(WEBHOOK_EVENTS))
    if unknown or not events:
        raise ValidationFailed(
            f"events must be some of {', '.join(WEBHOOK_EVENTS)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
            field="events",
        )


def add_endpoint(
    session: Session,
    settings: Settings,
    name: str,
    url: str,
    events: list[str],
    secret: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint; returns it with its secret, shown this once and stored encrypted."""
    _check(name, url, events)
    if session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == name)) is not None:
        raise Conflict(f"a channel named {name!r} exists", field="name")
    secret = secret or pysecrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        name=name,
        url=url,
        secret_encrypted=secrets.encrypt(settings, secret),
        events=list(dict.fromkeys(events)),
        paused=False,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def get_endpoint(session: Session, name: str) -> WebhookEndpoint:
    endpoint = session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == name))
    if endpoint is None:
        raise NotFound(f"no channel named {name!r}", field="name")
    return endpoint


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name)))


def any_active(session: Session) -> bool:
    return (
        session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.paused.is_(False)).limit(1))
        is not None
    )


def queue_event(session: Session, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """A delivery of `event` for every active endpoint that subscribed to it."""
    rows = []
    for endpoint in session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.paused.is_(False))
    ):
        if event not in endpoint.events:
            continue
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id, event=event, body="", status="queued", attempts=0
        )
        session.add(delivery)
        session.flush()
        delivery.body = json.dumps(
            {"id": delivery.id, "event": event, "created_at": utcnow().isoformat(), "data": data},
            separators=(",", ":"),
            default=str,
        )
        rows.append(delivery)
    session.flush()
    return rows


def _claim(settings: Settings, delivery_id: int) -> bool:
    now = utcnow()
    with session_scope(settings) as session:
        result = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == "queued",
                or_(
                    WebhookDelivery.next_attempt_at.is_(None),
                    WebhookDelivery.next_attempt_at <= now,
                ),
            )
            .values(
                next_attempt_at=now + timedelta(seconds=settings.smtp_timeout_s * 4 + 60),
                attempts=WebhookDelivery.attempts + 1,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def attempt(settings: Settings, delivery_id: int) -> float | None:
    """One POST of a delivery. Returns the seconds until the next try, or None when done.
    The request runs outside any transaction (a slow receiver must not hold the database)."""
    if not _claim(settings, delivery_id):
        return None
    with session_scope(settings, write=False) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        if delivery is None or endpoint is None:
            return None
        url, event, body = endpoint.url, delivery.event, delivery.body.encode("utf-8")
        secret = secrets.decrypt(settings, endpoint.secret_encrypted)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "SmartInbox-Webhooks",
        "X-SmartInbox-Event": event,
        "X-SmartInbox-Delivery": str(delivery_id),
        SIGNATURE_HEADER: sign(secret, int(time.time()), body),
    }
    code: int | None = None
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=settings.smtp_timeout_s)
        code, answer = response.status_code, response.text[:1000]
    except httpx.HTTPError as exc:
        answer = f"{type(exc).__name__}: {exc}"[:1000]
    with session_scope(settings) as session:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None:
            return None
        row.last_status_code, row.last_response = code, answer
        if code is not None and 200 <= code < 300:
            row.status = "sent"
            row.sent_at = utcnow()
            row.next_attempt_at = None
            return None
        if row.attempts >= settings.delivery_max_attempts:
            row.status = "failed"
            row.next_attempt_at = None
            return None
        delay = float(settings.delivery_backoff_s * 2 ** (row.attempts - 1))
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        return delay


def due(session: Session, limit: int = 200) -> list[int]:
    now = utcnow()
    return list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == "queued",
                or_(
                    WebhookDelivery.next_attempt_at <= now,
                    WebhookDelivery.next_attempt_at.is_(None)
                    & (WebhookDelivery.created_at <= now - timedelta(minutes=1)),
                ),
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        )
    )


def log(session: Session, endpoint_id: int, limit: int = 20) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def send_test(settings: Settings, endpoint: WebhookEndpoint) -> tuple[int | None, str]:
    """POST a signed `channel.test` event now (not logged, not retried): status and answer."""
    body = json.dumps(
        {"id": 0, "event": "channel.test", "created_at": utcnow().isoformat(), "data": {}},
        separators=(",", ":"),
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "X-SmartInbox-Event": "channel.test",
        SIGNATURE_HEADER: sign(
            secrets.decrypt(settings, endpoint.secret_encrypted), int(time.time()), body
        ),
    }
    try:
        response = httpx.post(
            endpoint.url, content=body, headers=headers, timeout=settings.smtp_timeout_s
        )
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return response.status_code, response.text[:200]
