"""Improved replies and failure explanations, without a language model.

Both are rules over what the agent did: the engine-independent baseline behind the replay
page's "Generate improved reply" and "Explain why it failed" buttons. An engine that can do
better implements `Reviewer` and is passed to the service instead (the results are stored,
with the model that wrote them, either way).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from smartinbox.feedback.training import canonical, is_junk

MODEL_NAME = "feedback-rules-v1"
_NUMBER = re.compile(r"(?<![\w.])[#]?\d[\d\-/.,:]*\d|(?<![\w.])\d(?![\w])")
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
_EMPATHY = ("sorry", "apolog", "understand", "frustrat", "thank you for your patience")
STOPWORDS = frozenset(
    [
        "this",
        "that",
        "with",
        "have",
        "your",
        "will",
        "from",
        "they",
        "them",
        "there",
        "their",
        "what",
        "when",
        "which",
        "would",
        "could",
        "should",
        "about",
        "please",
        "thanks",
        "thank",
        "hello",
        "dear",
        "regards",
        "best",
        "just",
        "also",
        "into",
        "been",
        "were",
    ]
)
NEGATIVE_SENTIMENT = -0.3
LENGTH_RATIO = 2.0


@dataclass
class Case:
    """One interaction as the reviewer sees it (customer text is data, never instructions)."""

    message: str
    ai_reply: str
    agent_reply: str | None
    feedback: str | None
    topic: str | None = None
    sentiment: float | None = None
    accepted: Sequence[tuple[str, str]] = field(default_factory=list)


@dataclass
class Improvement:
    text: str
    model: str
    basis: str


class Reviewer(Protocol):
    def improve(self, case: Case) -> Improvement: ...

    def explain(self, case: Case) -> str: ...


def _numbers(text: str) -> set[str]:
    return {m.group(0).lstrip("#").rstrip(".,") for m in _NUMBER.finditer(text)}


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)} - STOPWORDS


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, canonical(a), canonical(b), autojunk=False).ratio()


class RuleReviewer:
    """Learns from the agent: their correction, or the closest reply agents approved."""

    def improve(self, case: Case) -> Improvement:
        if case.agent_reply and not is_junk(case.agent_reply):
            return Improvement(case.agent_reply.strip(), MODEL_NAME, "agent correction")
        best: tuple[float, str] | None = None
        for message, reply in case.accepted:
            if is_junk(reply) or canonical(reply) == canonical(case.ai_reply):
                continue
            score = similarity(case.message, message)
            if best is None or score > best[0]:
                best = (score, reply)
        if best is not None:
            return Improvement(
                best[1].strip(), MODEL_NAME, f"closest approved reply ({best[0]:.0%})"
            )
        return Improvement(case.ai_reply.strip(), MODEL_NAME, "no better reply known yet")

    def explain(self, case: Case) -> str:
        findings: list[str] = []
        agent = case.agent_reply or ""
        missing_numbers = sorted(
            (_numbers(agent) | _numbers(case.message)) - _numbers(case.ai_reply)
        )
        if missing_numbers:
            findings.append(
                "Missing specifics: the AI reply does not mention "
                + ", ".join(missing_numbers[:5])
                + " (given by the customer or the agent)."
            )
        if agent:
            ai_words, agent_words = _words(case.ai_reply), _words(agent)
            topic_words = sorted(agent_words - ai_words - _words(case.message))[:6]
            overlap = len(ai_words & agent_words) / max(1, len(agent_words))
            if overlap < 0.3:
                findings.append(
                    f"Different content: the agent's reply shares {overlap:.0%} of its key words "
                    "with the AI reply"
                    + (f" and talks about {', '.join(topic_words)}." if topic_words else ".")
                )
            ratio = (len(case.ai_reply) + 1) / (len(agent) + 1)
            if ratio > LENGTH_RATIO:
                findings.append(f"Too long: the AI reply is {ratio:.1f}x the agent's length.")
            elif ratio < 1 / LENGTH_RATIO:
                findings.append(f"Too short: the agent's reply is {1 / ratio:.1f}x longer.")
        if (
            case.topic
            and case.topic.lower() not in canonical(case.ai_reply)
            and agent
            and (case.topic.lower() in canonical(agent))
        ):
            findings.append(f"Off topic: the message is about {case.topic}; the AI reply is not.")
        if case.sentiment is not None and case.sentiment <= NEGATIVE_SENTIMENT:
            lowered = case.ai_reply.lower()
            if not any(word in lowered for word in _EMPATHY):
                findings.append(
                    f"Tone: the customer is upset (sentiment {case.sentiment:+.2f}) and the AI "
                    "reply neither apologises nor acknowledges it."
                )
        if not findings:
            findings.append(
                "No single cause found by the rules; the agent's reply is "
                f"{similarity(case.ai_reply, agent):.0%} similar to the AI reply."
                if agent
                else "No agent reply to compare with; rate and reply to learn more."
            )
        return "\n".join(f"- {line}" for line in findings)
