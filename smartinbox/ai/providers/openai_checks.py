"""What a language model's answer must pass before SmartInbox uses it.

Triage answers are parsed against the schema they were asked for (types, allowed classes,
ranges); anything else counts as malformed. Generated replies are checked for what would hurt
if an agent sent it unread: quoting the system prompt (a successful prompt injection), a link
that none of the approved example replies contains, and a refund or compensation promise that
no example makes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smartinbox.ai.providers.openai_prompts import RUBRIC, SYSTEM_PROMPTS, TRIAGE_FIELDS

# Quoting this many consecutive words of a system prompt is leaking it; ordinary replies share
# short phrases ("the customer's name") but not eight words in a row.
LEAK_WORDS = 8
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.I)
_MONEY = re.compile(
    r"\b(?:refund\w*|reimburs\w*|compensat\w*|money back|store credit|voucher|discount\w*|"
    r"credit(?:ed)? (?:to )?your (?:account|card)|free of charge|waive\w*)\b",
    re.I,
)
_PROMISE = re.compile(
    r"\b(?:we|i)(?:'ll| will| shall| are going to| have| can| am going to)\b"
    r"(?!n't|'t| not| never)[^.!?\n]{0,60}?"
    r"\b(?:refund\w*|reimburs\w*|compensat\w*|credit\w*|waive\w*|discount\w*|voucher\w*)"
    r"|\byou(?:'ll| will| are going to)? (?:receive|get|be (?:given|issued|refunded|credited))\b"
    r"[^.!?\n]{0,40}?\b(?:refund\w*|credit\w*|compensation|voucher\w*|discount\w*|money back)"
    r"|\b(?:full|partial|immediate) refund\b",
    re.I,
)
_WORD = re.compile(r"[a-z0-9']+")
_LANGUAGE = re.compile(r"^(?:[a-z]{2}|und)$")


class Confidences(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: float = Field(ge=0, le=1)
    topic: float = Field(ge=0, le=1)
    urgency: float = Field(ge=0, le=1)
    sentiment: float = Field(ge=0, le=1)
    spam: float = Field(ge=0, le=1)
    language: float = Field(ge=0, le=1)


class TriageAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str
    topic: str
    urgency: float = Field(ge=0, le=1)
    sentiment: float = Field(ge=-1, le=1)
    spam: float = Field(ge=0, le=1)
    language: str
    out_of_scope: bool = False
    confidence: Confidences


class JudgeAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    relevance: float = Field(ge=0, le=1)
    accuracy: float = Field(ge=0, le=1)
    completeness: float = Field(ge=0, le=1)
    tone: float = Field(ge=0, le=1)
    comments: list[str] = Field(default_factory=list)

    def score(self) -> float:
        return round(sum(float(getattr(self, k)) * w for k, w in RUBRIC.items()), 4)


class MalformedAnswer(ValueError):
    """The model's answer is not the JSON that was asked for."""


def _json(content: str) -> object:
    text = content.strip()
    # Some local servers wrap JSON in a Markdown fence even when asked for a schema.
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.S)
    try:
        return json.loads(fenced.group(1) if fenced else text)
    except json.JSONDecodeError as exc:
        raise MalformedAnswer(f"not JSON ({exc.msg} at {exc.pos})") from None


def parse_triage(content: str, kinds: Sequence[str], topics: Sequence[str]) -> TriageAnswer:
    try:
        answer = TriageAnswer.model_validate(_json(content))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MalformedAnswer(f"{where}: {first['msg']}") from None
    answer.language = answer.language.strip().lower()
    if answer.kind not in kinds:
        raise MalformedAnswer(f"kind: {answer.kind!r} is not one of the known kinds")
    if answer.topic not in topics:
        raise MalformedAnswer(f"topic: {answer.topic!r} is not one of the known topics")
    if not _LANGUAGE.match(answer.language):
        raise MalformedAnswer(f"language: {answer.language!r} is not an ISO 639-1 code")
    return answer


def parse_judgement(content: str) -> JudgeAnswer:
    try:
        return JudgeAnswer.model_validate(_json(content))
    except ValidationError as exc:
        raise MalformedAnswer(str(exc.errors()[0]["msg"])) from None


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


_PROMPT_SHINGLES = set().union(*(_shingles(p, LEAK_WORDS) for p in SYSTEM_PROMPTS))


def urls(text: str) -> set[str]:
    return {m.group(0).rstrip(".,;:!?").lower() for m in _URL.finditer(text)}


@dataclass
class OutputCheck:
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_reply(reply: str, approved: Iterable[str]) -> OutputCheck:
    """Problems of a generated reply, judged against the approved texts it may draw on."""
    sources = list(approved)
    problems: list[str] = []
    if _shingles(reply, LEAK_WORDS) & _PROMPT_SHINGLES:
        problems.append("it quotes the assistant's instructions")
    allowed = set().union(*(urls(s) for s in sources)) if sources else set()
    foreign = sorted(u for u in urls(reply) if u not in allowed)
    if foreign:
        problems.append(f"it links to {', '.join(foreign[:3])}, which no approved reply contains")
    promise = _PROMISE.search(reply)
    if promise and not any(_MONEY.search(s) for s in sources):
        problems.append(
            f"it promises money back (\u201c{promise.group(0)}\u201d) that no approved reply offers"
        )
    return OutputCheck(problems)


def check_fields_present(answer: TriageAnswer) -> dict[str, float]:
    return {f: round(float(getattr(answer.confidence, f)), 4) for f in TRIAGE_FIELDS}
