"""Text helpers with no domain knowledge."""

from __future__ import annotations

import re
import unicodedata

_TAG_RE = re.compile(r"<\s*(html|body|div|p|br|span|table|a|b|i|strong|em|ul|li|img)\b[^>]*>", re.I)
_ANY_TAG_RE = re.compile(r"<[^>]+>")
_SCRIPT_STYLE_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_WS_RE = re.compile(r"\s+")
_CONTROL_CHARS = {c for c in map(chr, range(32)) if c not in "\t\n\r"}


def looks_like_html(text: str) -> bool:
    return bool(_TAG_RE.search(text))


def html_to_text(text: str) -> str:
    """Visible text of an HTML body, for analysis only (the original is kept as sent)."""
    import html

    text = _SCRIPT_STYLE_RE.sub(" ", text)
    text = re.sub(r"<\s*br\s*/?>|</\s*p\s*>", "\n", text, flags=re.I)
    text = _ANY_TAG_RE.sub(" ", text)
    return normalise_space(html.unescape(text))


def strip_control(text: str) -> str:
    return "".join(ch for ch in text if ch not in _CONTROL_CHARS)


def normalise_space(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def normalise(text: str) -> str:
    return normalise_space(unicodedata.normalize("NFKC", text))


def levenshtein(a: str, b: str) -> int:
    """Edit distance by characters (bounded work: long texts fall back to a word diff)."""
    if a == b:
        return 0
    if len(a) * len(b) > 4_000_000:
        import difflib

        sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
        return max(len(a), len(b)) - sum(block.size for block in sm.get_matching_blocks())
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
