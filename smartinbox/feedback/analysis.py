"""Improved replies and explanations, without a language model.

They are rules over what the agent did and what the suggestion was built from: the
engine-independent baseline behind the replay page's "Generate improved reply" and "Explain why
it failed" buttons and the message page's "Why this reply?". A provider that can do better
implements `Reviewer` (`smartinbox.feedback.reviewers`) and is passed to the services instead;
the results are stored with the provider, model and prompt version that wrote them either way.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from smartinbox.ai.engine import Evidence
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
    provider: str = "local"
    prompt_version: str | None = None


@dataclass
class Explanation:
    text: str
    provider: str
    model: str
    prompt_version: str | None = None

    def provenance(self) -> dict[str, str | None]:
        return {
            "provider": self.provider,
            "model": self.model,
            "prompt_version": self.prompt_version,
        }


@dataclass
class Shown:
    """A suggestion as the agent saw it: the message, the reply, its confidence and evidence."""

    message: str
    reply: str
    confidence: float
    evidence: Sequence[Evidence]
    snooze_reason: str | None = None


class Reviewer(Protocol):
    def improve(self, case: Case) -> Improvement: ...

    def explain(self, case: Case) -> Explanation: ...

    def explain_reply(self, shown: Shown) -> Explanation: ...


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

    def explain(self, case: Case) -> Explanation:
        return Explanation(_failure_findings(case), "local", MODEL_NAME)

    def explain_reply(self, shown: Shown) -> Explanation:
        return Explanation(_reply_reasons(shown), "local", MODEL_NAME)


SOURCE_LABELS = {
    "agent_reply": "a reply an agent wrote",
    "accepted": "a suggestion an agent sent",
    "history": "an imported reply from your history",
    "macro": "a saved macro",
    "seed": "a reply from the bundled examples",
}


def _strength(similarity: float) -> str:
    if similarity >= 0.8:
        return "very close"
    if similarity >= 0.6:
        return "close"
    if similarity >= 0.4:
        return "loosely related"
    return "distant"


def _quote(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _reply_reasons(shown: Shown) -> str:
    """Why the suggestion is what it is, from the evidence it recorded."""
    lines: list[str] = []
    if not shown.evidence:
        lines.append(
            "No approved reply resembles this message, so the assistant suggested its standard "
            "acknowledgement."
        )
    else:
        best, others = shown.evidence[0], shown.evidence[1:]
        lines.append(
            f"Built on {SOURCE_LABELS.get(best.source, best.source)} to a {_strength(best.similarity)} "
            f'message (similarity {best.similarity:.2f}): "{_quote(best.message)}".'
        )
        if canonical(best.reply) != canonical(shown.reply):
            lines.append(
                "The stored reply was adapted: details of the original customer were replaced "
                "with this message's, or with neutral wording where this message has none."
            )
        if others:
            runner_up = others[0]
            margin = best.similarity - runner_up.similarity
            lines.append(
                f'Next closest: {runner_up.similarity:.2f} ("{_quote(runner_up.message, 80)}"); '
                + (
                    "a clear lead."
                    if margin >= 0.05
                    else "nearly as close, so the choice between them is uncertain."
                )
            )
    lines.append(
        f"Confidence {shown.confidence:.0%}: the estimated chance an agent sends it with light "
        "edits at most, from the similarity, the lead over the next example and topic agreement."
    )
    if shown.snooze_reason:
        lines.append(f"Held for review: {shown.snooze_reason}")
    return "\n".join(f"- {line}" for line in lines)


def _failure_findings(case: Case) -> str:
    findings: list[str] = []
    agent = case.agent_reply or ""
    missing_numbers = sorted((_numbers(agent) | _numbers(case.message)) - _numbers(case.ai_reply))
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
