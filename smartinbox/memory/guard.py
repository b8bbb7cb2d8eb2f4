"""Rules a reply must pass before the memory repeats it to other customers. Pure functions."""

from __future__ import annotations

import re

_URL = re.compile(r"\b(?:https?://|www\.)([^\s/<>\"')\]]+)", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@((?:[\w-]+\.)+[a-z]{2,24})\b", re.I)
# A bare host name ("evil-reset.example/login"): the last label is a common top-level domain,
# so "e.g." or "3.5" never count.
_BARE_HOST = re.compile(
    r"(?<![@\w.-])((?:[a-z0-9][a-z0-9-]*\.)+(?:com|net|org|io|co|example|info|biz|shop|app|xyz|"
    r"online|site|store|support|help|me|us|uk|de|fr|eu|ru|cn|ly|link|page|top))(?![\w-])",
    re.I,
)
_ARITHMETIC = re.compile(r"^\s*[-+*/=]?\s*\d+\s*[-+*/=]\s*\d+")
MIN_LETTERS = 20
MIN_WORDS = 4
MIN_LETTER_SHARE = 0.6


def allowed_domains(setting: str) -> list[str]:
    return [d.strip().lower().lstrip(".") for d in setting.split(",") if d.strip()]


def link_targets(reply: str) -> list[str]:
    """Every host a link points to and every e-mail address's domain, lower-cased."""
    hosts = [m.group(1) for m in _URL.finditer(reply)]
    hosts += [m.group(1) for m in _EMAIL.finditer(reply)]
    without_mail = _EMAIL.sub(" ", _URL.sub(" ", reply))
    hosts += [m.group(1) for m in _BARE_HOST.finditer(without_mail)]
    out = []
    for host in hosts:
        host = host.lower().split(":", 1)[0].rstrip(".")
        if host.startswith("www."):
            host = host[4:]
        if host:
            out.append(host)
    return list(dict.fromkeys(out))


def disallowed_targets(reply: str, domains: list[str]) -> list[str]:
    return [
        host
        for host in link_targets(reply)
        if not any(host == d or host.endswith("." + d) for d in domains)
    ]


def junk_reason(reply: str) -> str | None:
    """Why a reply is not worth remembering (an accidental or empty reply), or None."""
    text = reply.strip()
    letters = sum(ch.isalpha() for ch in text)
    visible = sum(not ch.isspace() for ch in text)
    if letters < MIN_LETTERS or len(text.split()) < MIN_WORDS:
        return "too short to repeat to another customer"
    if letters / max(1, visible) < MIN_LETTER_SHARE:
        return "mostly digits or symbols, not words"
    if _ARITHMETIC.match(text):
        return "starts with stray figures or arithmetic"
    return None


def hold_reason(reply: str, domains: list[str]) -> str | None:
    """Why a reply must wait for an admin before it is ever suggested, or None."""
    foreign = disallowed_targets(reply, domains)
    if foreign:
        return "links or e-mail addresses outside the allowed domains: " + ", ".join(foreign)
    return None
