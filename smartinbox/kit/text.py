"""Text helpers with no domain knowledge."""

from __future__ import annotations

import re
import unicodedata

_TAG_RE = re.compile(r"<\s*(html|body|div|p|br|span|table|a|b|i|strong|em|ul|li|img)\b[^>]*>", re.I)
_ANY_TAG_RE = re.compile(r"<[^>]+>")
_SCRIPT_STYLE_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_WS_RE = re.compile(r"\s+")
_BREAK_RE = re.compile(r"<\s*br\s*/?\s*>|</\s*(?:div|tr|h[1-6])\s*>", re.I)
_PARAGRAPH_RE = re.compile(r"</?\s*(?:p|ul|ol|table|blockquote)\b[^>]*>", re.I)
_ITEM_RE = re.compile(r"<\s*li\b[^>]*>", re.I)
_CELL_RE = re.compile(r"</?\s*(?:td|th)\b[^>]*>", re.I)
_BLOCK_TAG_RE = re.compile(
    r"</?\s*(?:br|p|div|li|ul|ol|tr|td|th|table|h[1-6]|blockquote|html|body|head|title)\b[^>]*>",
    re.I,
)
_SPACES_RE = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_CONTROL_CHARS = {c for c in map(chr, range(32)) if c not in "\t\n\r"}


def looks_like_html(text: str) -> bool:
    return bool(_TAG_RE.search(text))


def html_to_text(text: str, keep_lines: bool = False) -> str:
    """Visible text of an HTML body: on one line for analysis (the original is kept as sent),
    or with `keep_lines` as lines and paragraphs, for a reply someone will read and send."""
    import html

    text = _SCRIPT_STYLE_RE.sub(" ", text)
    if not keep_lines:
        # A block element separates words; an inline one ("<b>team</b>,") does not.
        text = _BLOCK_TAG_RE.sub(" ", text)
        return normalise_space(html.unescape(_ANY_TAG_RE.sub("", text)))
    text = _WS_RE.sub(" ", text)  # the source's own line breaks are not the reader's
    text = _BREAK_RE.sub("\n", text)
    text = _PARAGRAPH_RE.sub("\n\n", text)
    text = _ITEM_RE.sub("\n- ", text)
    text = _CELL_RE.sub(" ", text)
    lines = (
        _SPACES_RE.sub(" ", line).strip()
        for line in html.unescape(_ANY_TAG_RE.sub("", text)).split("\n")
    )
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def visible_text(text: str, keep_lines: bool = False) -> str:
    """`text` itself, or its visible text when it is HTML (an export of e-mail bodies)."""
    return html_to_text(text, keep_lines) if looks_like_html(text) else text


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
