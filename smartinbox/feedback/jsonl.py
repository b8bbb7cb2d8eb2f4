"""OpenAI chat fine-tuning records and their validation before anything is written.

The checks follow OpenAI's own data-preparation checks: each line is {"messages": [...]} with
known roles in a valid order (an optional system message, then user and assistant turns that
alternate and end with the assistant), every content a non-empty string, and the example's
token count under the model's limit. Bad examples are dropped with a reason; too few good
ones fail the whole export.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from smartinbox.feedback import tokens as token_count

ROLES = {"system", "user", "assistant"}


def json_line(record: Any) -> str:
    """One JSONL line: UTF-8 kept readable, but U+2028/U+2029 escaped, since JavaScript and
    many line-based tools treat them as line breaks and would split the record."""
    text = json.dumps(record, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


def chat_record(system: str, prompt: str, completion: str) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}]
    return {"messages": messages}


def problem(record: Any, max_tokens: int) -> tuple[str | None, int]:
    """Why this record cannot be used (None when it can), and its token count."""
    if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
        return "not a {'messages': [...]} object", 0
    messages: list[Any] = record["messages"]
    if not messages:
        return "no messages", 0
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return "unknown role", 0
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            return "empty content", 0
        if set(message) - {"role", "content", "name", "weight"}:
            return "unrecognised message key", 0
    roles = [m["role"] for m in messages]
    turns = roles[1:] if roles[0] == "system" else roles
    expected = ["user", "assistant"] * (len(turns) // 2 + 1)
    if not turns or turns != expected[: len(turns)] or turns[-1] != "assistant":
        return "roles out of order (need user/assistant turns ending with assistant)", 0
    count = token_count.count_messages(messages)
    if count > max_tokens:
        return f"over {max_tokens} tokens", count
    return None, count


@dataclass
class ValidationReport:
    max_tokens: int
    min_examples: int
    examples: int = 0
    tokens: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    token_method: str = field(default_factory=token_count.method)

    def check(self, record: Any) -> bool:
        reason, count = problem(record, self.max_tokens)
        if reason is not None:
            self.dropped[reason] += 1
            return False
        self.examples += 1
        self.tokens += count
        return True

    @property
    def ok(self) -> bool:
        return self.examples >= self.min_examples

    def to_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "estimated_tokens": self.tokens,
            "token_count_method": self.token_method,
            "dropped": dict(self.dropped),
            "dropped_total": sum(self.dropped.values()),
            "min_examples": self.min_examples,
            "max_tokens_per_example": self.max_tokens,
            "valid": self.ok,
        }
