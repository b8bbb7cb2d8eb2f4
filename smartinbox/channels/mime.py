"""Raw RFC 822 mail into what SmartInbox keeps: text, threading headers, files, flags.

Parsed with the standard library (`email`, policy.default): MIME structure, RFC 2047 headers,
character sets, quoted-printable and base64. The text part is preferred; an HTML-only mail is
turned into text (HTML is never kept for display). The text analysed has the quoted history
and the signature removed; the whole text is kept for display. Every other part is a file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from smartinbox.kit.text import html_to_text, strip_control

_MSGID_RE = re.compile(r"<([^<>\s]{1,250})>")
# "On Tue, 1 Dec 2026 at 10:00, Ann <ann@example.com> wrote:" (may wrap onto a second line)
_ATTRIBUTION_RE = re.compile(
    r"^(On\s.{0,300}?wrote:|Am\s.{0,300}?schrieb.{0,80}:|Le\s.{0,300}?a écrit\s?:)\s*$", re.I | re.S
)
_OUTLOOK_RE = re.compile(r"^(-{2,}\s*Original Message\s*-{2,}|_{10,}|From:\s.+)$", re.I)
_SIGNATURE_RE = re.compile(r"^(-- ?|Sent from my \w+.*|Get Outlook for \w+.*)$")
KEPT_HEADERS = (
    "Date",
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "Return-Path",
    "X-Autoreply",
)


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ParsedEmail:
    message_id: str
    in_reply_to: str | None
    references: list[str]
    subject: str
    from_name: str
    from_address: str
    to_addresses: list[str]
    date: datetime | None
    display_text: str
    analysis_text: str
    has_html: bool
    automated: str | None
    automated_reason: str | None
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Ids of earlier mails of the thread, the root first."""
        ids = list(self.references)
        if self.in_reply_to and self.in_reply_to not in ids:
            ids.append(self.in_reply_to)
        return ids


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of
        return ""
    return strip_control(str(value)).strip() if value is not None else ""


def _ids(value: str) -> list[str]:
    return _MSGID_RE.findall(value)


def _decode_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, AttributeError, ValueError):
        pass  # an unknown or lying charset: decode as UTF-8, replacing what is not
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _leaves(part: Message) -> list[Message]:
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        subparts = part.get_payload()
        if isinstance(subparts, list):
            return [leaf for sub in subparts if isinstance(sub, Message) for leaf in _leaves(sub)]
    return [part]


def _file_bytes(part: Message) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            return inner[0].as_bytes(policy=policy.default)
        return str(inner).encode("utf-8", "replace")
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _filename(part: Message, index: int) -> str:
    name = ""
    try:
        name = part.get_filename() or ""
    except (ValueError, IndexError, TypeError):
        name = ""
    # Only the last path element, without control characters: a name, never a path.
    name = strip_control(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        subtype = part.get_content_subtype() or "bin"
        name = f"part-{index}.{subtype}"
    return name[:255]


def strip_quotes_and_signature(text: str) -> str:
    """The new part of a reply: quoted lines, the history after an attribution line and the
    signature removed. Empty when nothing new is left (the caller decides what to analyse)."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.rstrip()
        two = f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else stripped
        if _ATTRIBUTION_RE.match(stripped) or (
            stripped.startswith("On ") and _ATTRIBUTION_RE.match(two)
        ):
            break
        if _OUTLOOK_RE.match(stripped) and (
            not stripped.lower().startswith("from:")
            or any(ln.lower().startswith(("sent:", "date:")) for ln in lines[i + 1 : i + 4])
        ):
            break
        if _SIGNATURE_RE.match(stripped):
            break
        if stripped.lstrip().startswith(">"):
            continue
        kept.append(stripped)
    return "\n".join(kept).strip()


def _automated(msg: Message, from_address: str) -> tuple[str | None, str | None]:
    """Why nobody should answer this mail automatically: a bounce, an auto-reply or a list."""
    content_type = msg.get_content_type()
    return_path = _header(msg, "Return-Path")
    if return_path.replace(" ", "") == "<>":
        return "bounce", "Return-Path: <>"
    if content_type == "multipart/report":
        return "bounce", "Content-Type: multipart/report"
    if from_address.split("@")[0] in ("mailer-daemon", "postmaster"):
        return "bounce", f"From: {from_address}"
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply", f"Auto-Submitted: {auto_submitted}"[:200]
    for name in ("X-Autoreply", "X-Autorespond"):
        if _header(msg, name):
            return "auto_reply", f"{name}: {_header(msg, name)}"[:200]
    precedence = _header(msg, "Precedence").lower()
    if precedence == "auto_reply":
        return "auto_reply", "Precedence: auto_reply"
    if precedence in ("bulk", "list", "junk"):
        return "list", f"Precedence: {precedence}"
    if _header(msg, "List-Id"):
        return "list", f"List-Id: {_header(msg, 'List-Id')}"[:200]
    return None, None


def _date(msg: Message) -> datetime | None:
    raw = _header(msg, "Date")
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bounded(ids: list[str], most: int = 50) -> list[str]:
    """A long References header keeps its root (the thread key) and the latest ids."""
    return ids if len(ids) <= most else ids[:1] + ids[-(most - 1) :]


def parse_email(raw: bytes) -> ParsedEmail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    own_ids = _ids(_header(msg, "Message-ID"))
    # Without a Message-ID the content names the mail, so the same file imports once.
    message_id = own_ids[0] if own_ids else f"sha256-{hashlib.sha256(raw).hexdigest()}@smartinbox"
    reply_ids = _ids(_header(msg, "In-Reply-To"))
    from_name, from_address = parseaddr(_header(msg, "From"))
    to = [
        addr.lower() for _, addr in getaddresses([_header(msg, "To"), _header(msg, "Cc")]) if addr
    ]

    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    if plain is not None:
        text = _decode_text(plain)
    elif html is not None:
        text = html_to_text(_decode_text(html), keep_lines=True)
    else:
        text = ""
    text = strip_control(text.replace("\r\n", "\n")).strip()

    attachments: list[Attachment] = []
    for index, part in enumerate(_leaves(msg), start=1):
        if part is plain or part is html:
            continue
        if part.get_content_maintype() == "multipart":
            continue
        attachments.append(
            Attachment(_filename(part, index), part.get_content_type()[:127], _file_bytes(part))
        )

    automated, reason = _automated(msg, from_address.lower())
    return ParsedEmail(
        message_id=message_id,
        in_reply_to=reply_ids[0] if reply_ids else None,
        references=_bounded(_ids(_header(msg, "References"))),
        subject=_header(msg, "Subject")[:998],
        from_name=strip_control(from_name).strip()[:200],
        from_address=from_address.strip().lower()[:320],
        to_addresses=to[:50],
        date=_date(msg),
        display_text=text,
        analysis_text=strip_quotes_and_signature(text),
        has_html=html is not None,
        automated=automated,
        automated_reason=reason,
        headers={name: _header(msg, name)[:998] for name in KEPT_HEADERS if _header(msg, name)},
        attachments=attachments,
    )
