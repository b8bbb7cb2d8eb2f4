"""E-mail out: an agent reply as a multipart text + HTML mail, threaded under the customer's
mail, sent over SMTP. Sorts failures into temporary (4xx, connection) and permanent (5xx)."""

from __future__ import annotations

import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage as Mail
from email.utils import make_msgid, parseaddr

from smartinbox.config import Settings
from smartinbox.models import EmailMessage, Message


@dataclass
class SendFailure(Exception):
    reason: str
    temporary: bool

    def __str__(self) -> str:
        return self.reason


def new_message_id(settings: Settings) -> str:
    """A Message-ID in the mailbox's domain, without the angle brackets."""
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "smartinbox.local"
    return make_msgid(domain=domain).strip("<>")


def _html(text: str) -> str:
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return f'<!DOCTYPE html><html><body><div dir="auto">{body}</div></body></html>'


def build_reply(
    settings: Settings, original: Message, email: EmailMessage, text: str, message_id: str
) -> Mail:
    mail = Mail()
    mail["From"] = settings.smtp_from
    mail["To"] = email.from_address
    subject = original.subject or "Your message"
    mail["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    mail["Message-ID"] = f"<{message_id}>"
    mail["In-Reply-To"] = f"<{email.header_message_id}>"
    references = [*email.references, email.header_message_id]
    mail["References"] = " ".join(f"<{r}>" for r in references[-20:])
    # Our own reply: auto-responders must not answer it (RFC 3834).
    mail["Auto-Submitted"] = "no"
    mail.set_content(text)
    mail.add_alternative(_html(text), subtype="html")
    return mail


def _code_failure(code: int, detail: bytes | str) -> SendFailure:
    text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return SendFailure(f"{code} {text}".strip()[:1000], temporary=400 <= code < 500)


def send(settings: Settings, mail: Mail) -> None:
    """Hand the mail to the SMTP server; raises SendFailure saying whether to try again."""
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        code, detail = next(iter(exc.recipients.values()))
        raise _code_failure(code, detail) from exc
    except smtplib.SMTPResponseException as exc:
        raise _code_failure(exc.smtp_code, exc.smtp_error) from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, disconnected
        raise SendFailure(f"{type(exc).__name__}: {exc}"[:1000], temporary=True) from exc
