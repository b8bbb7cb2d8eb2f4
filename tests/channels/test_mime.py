"""MIME parsing of received mail: parts, charsets, transfer encodings, quotes, flags, files."""

from __future__ import annotations

import base64

from smartinbox.channels.mime import parse_email, strip_quotes_and_signature
from tests.channels.mails import mail


def test_quoted_printable_latin1_text_and_html_alternative() -> None:
    raw = mail(
        text="Grüße, mein Paket für Bestellung 77 ist beschädigt.\n",
        html="<p>Grüße, <b>HTML</b> version</p>",
        charset="iso-8859-1",
        cte="quoted-printable",
        subject="Paket beschädigt",
    )
    assert b"=FC" in raw or b"=fc" in raw.lower()  # really quoted-printable latin-1
    parsed = parse_email(raw)
    assert parsed.message_id == "m1@customer.example"
    assert parsed.subject == "Paket beschädigt"
    assert parsed.display_text == "Grüße, mein Paket für Bestellung 77 ist beschädigt."
    assert parsed.has_html is True
    assert parsed.attachments == []  # the HTML alternative is not a file
    assert parsed.from_address == "ann@customer.example" and parsed.from_name == "Ann Example"


def test_html_only_mail_becomes_text_without_markup() -> None:
    raw = mail(text=None, html="<div>My card was <b>charged twice</b>.<script>x()</script></div>")
    parsed = parse_email(raw)
    assert parsed.display_text == "My card was charged twice."
    assert "<" not in parsed.analysis_text


def test_base64_body_and_encoded_subject() -> None:
    raw = (
        b"From: =?utf-8?q?Jos=C3=A9?= <jose@example.com>\r\n"
        b"Subject: =?utf-8?b?" + base64.b64encode("Pedido atrasado ñ".encode()) + b"?=\r\n"
        b"Message-ID: <b64@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode("Mi pedido no llegó.".encode())
        + b"\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.subject == "Pedido atrasado ñ"
    assert parsed.from_name == "José"
    assert parsed.display_text == "Mi pedido no llegó."


def test_unknown_charset_is_decoded_not_fatal() -> None:
    raw = (
        b"From: a@example.com\r\nMessage-ID: <cs@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nplain words\r\n"
    )
    assert parse_email(raw).display_text == "plain words"


def test_quoted_history_and_signature_are_kept_for_display_only() -> None:
    text = (
        "Still nothing arrived, please check again.\n\n"
        "-- \nAnn Example\nCEO, Example Ltd\n\n"
        "On Tue, 1 Dec 2026 at 10:00, Support <support@shop.example>\nwrote:\n"
        "> We shipped it yesterday.\n"
    )
    parsed = parse_email(mail(text=text))
    assert parsed.analysis_text == "Still nothing arrived, please check again."
    assert "We shipped it yesterday." in parsed.display_text
    assert "CEO" in parsed.display_text
    assert strip_quotes_and_signature("> only quoted\n> lines") == ""
    outlook = "New question here.\n\n-----Original Message-----\nFrom: x\nSent: y\nold text"
    assert strip_quotes_and_signature(outlook) == "New question here."


def test_threading_headers() -> None:
    parsed = parse_email(
        mail(
            "<m3@c.example>",
            in_reply_to="<m2@shop.example>",
            references="<m1@c.example> <m2@shop.example>",
        )
    )
    assert parsed.in_reply_to == "m2@shop.example"
    assert parsed.references == ["m1@c.example", "m2@shop.example"]
    assert parsed.thread_ids[0] == "m1@c.example"


def test_missing_message_id_is_named_by_content() -> None:
    raw = mail(message_id=None)
    assert parse_email(raw).message_id == parse_email(raw).message_id
    assert (
        parse_email(raw).message_id != parse_email(mail(message_id=None, text="other")).message_id
    )


def test_automated_mail_is_flagged() -> None:
    cases = {
        "auto_reply": {"Auto-Submitted": "auto-replied"},
        "list": {"List-Id": "<news.shop.example>"},
        "bounce": {"Return-Path": "<>"},
    }
    for expected, headers in cases.items():
        parsed = parse_email(mail(headers=headers))
        assert parsed.automated == expected, headers
        assert parsed.automated_reason
    assert parse_email(mail(headers={"Precedence": "bulk"})).automated == "list"
    assert parse_email(mail(headers={"X-Autoreply": "yes"})).automated == "auto_reply"
    assert parse_email(mail(headers={"Auto-Submitted": "no"})).automated is None
    assert parse_email(mail()).automated is None


def test_attachments_are_files_with_safe_names() -> None:
    pdf = b"%PDF-1.4 fake"
    parsed = parse_email(
        mail(
            files=[
                ("../../etc/invoice.pdf", "application/pdf", pdf),
                ("run.html", "text/html", b"<script>alert(1)</script>"),
            ]
        )
    )
    names = [(a.filename, a.content_type, a.size) for a in parsed.attachments]
    assert names == [("invoice.pdf", "application/pdf", len(pdf)), ("run.html", "text/html", 25)]
    assert parsed.attachments[0].data == pdf
    assert "alert" not in parsed.display_text  # an attached HTML file is not the body
