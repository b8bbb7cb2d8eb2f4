"""Redaction of e-mail addresses, phone numbers and card numbers in text that leaves the machine.

Card numbers are recognised by the Luhn checksum, so order numbers of the same length stay;
phone numbers need a leading + or 00, separators, or at least ten digits, so a short order
number or an amount is left alone.
"""

from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_CARD_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){12,18}(?![\w])")
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d{1,4}\)?(?:[ .\-]?\(?\d{2,4}\)?){2,5}(?![\w])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group(0)


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if not 8 <= len(digits) <= 15:
        return text
    international = text.startswith(("+", "00"))
    separated = bool(re.search(r"\d[ ().\-/]+\d", text))
    return PHONE if international or (separated and len(digits) >= 9) or len(digits) >= 10 else text


def redact(text: str) -> str:
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _CARD_RE.sub(_card, text)
    return _PHONE_RE.sub(_phone, text)
