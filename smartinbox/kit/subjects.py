"""Subject lines as threads see them: reply and forward prefixes in many languages removed."""

from __future__ import annotations

import re

# Re:, RE:, Fwd:, Fw:, AW: (German), WG: (German forward), TR: (French forward), SV: (Nordic),
# VS: (Finnish), Antw: (Dutch), RIF:/R: (Italian), RES: (Portuguese), Odp: (Polish), plus a
# counter as some clients write it ("Re[2]:", "Re(3):") and bracketed list tags are kept.
_PREFIX = re.compile(
    r"^\s*(?:re|fwd?|aw|wg|tr|sv|vs|antw|rif|r|res|odp|enc|rv)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*",
    re.IGNORECASE,
)
KEY_LENGTH = 255


def normalise_subject(subject: str | None) -> str:
    """The subject a thread is matched on: prefixes stripped (repeatedly), spaces collapsed,
    lower-cased, at most 255 characters. "Re: AW: Fwd:  Order  late" -> "order late"."""
    text = (subject or "").strip()
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return " ".join(text.split()).lower()[:KEY_LENGTH]
