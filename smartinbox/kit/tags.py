"""Conversation tags: one spelling for every tag, whoever writes it (agents, macros, API)."""

from __future__ import annotations

import re

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9 _\-]{0,39}$")


def clean_tag(value: str) -> str:
    tag = " ".join(value.split()).lower()
    if not TAG_RE.match(tag):
        raise ValueError(
            f"{value!r} is not a tag: 1-40 letters, digits, spaces, '_' or '-', "
            "starting with a letter or digit"
        )
    return tag
