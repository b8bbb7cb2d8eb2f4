"""The local judge: scores a reply to a customer message, with or without a reference reply.

`evaluate(message, reply, reference=None) -> Judgement(score 0..1, comments)`. The score blends
signals a support lead looks at, each recorded in the comments so a low score explains itself:

* relevance: semantic similarity of the reply to the message (MiniLM embeddings);
* agreement: similarity to the reference (the agent's reply) when there is one;
* specifics: order, invoice and ticket numbers the customer or the reference gave and the
  reply repeats, and numbers the reply invents (a hallucinated order number costs the most);
* another customer's details: a name it greets, an amount or count, or an e-mail address that
  neither the message nor the reference contains (a reply remembered from someone else's case);
* form: empty, very short or truncated replies, and a reply in another language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from smartinbox.ai.embedder import MiniLMEmbedder

_NUMBER = re.compile(r"\b[A-Z]{0,4}[-#]?\d[\d-]{3,}\b", re.I)
MIN_REPLY_CHARS = 25
# Details that belong to one customer's case. A count or amount followed by a unit of time
# ("5 business days", "24 hours") is policy, not a detail of someone's case.
_GREETED = re.compile(r"\b(?i:hi|hello|hey|dear|thanks|thank you),?\s+([A-Z][a-z]{1,20})\b")
_NOT_NAMES = {"there", "team", "all", "everyone", "customer", "friend", "again", "so", "for"}
_FIGURE = re.compile(
    r"(?<![\w.])[$€£]?\d+(?:[.,]\d+)?%?(?!\s*(?:-\s*\d+\s*)?(?:business\s+|working\s+)?"
    r"(?:hours?|days?|weeks?|months?|years?|minutes?|mins?|h|am|pm)\b)(?![\w-])",
    re.I,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# Addresses of the team itself, not of a customer.
_ROLE_MAILBOXES = {"support", "help", "billing", "info", "sales", "service", "contact", "team",
                   "care", "noreply", "no-reply", "hello", "returns", "orders"}  # fmt: skip


@dataclass
class Judgement:
    score: float
    comments: list[str] = field(default_factory=list)
    signals: dict[str, float] = field(default_factory=dict)


def _numbers(text: str) -> set[str]:
    return {m.group(0).lstrip("#").upper() for m in _NUMBER.finditer(text)}


def _figures(text: str) -> set[str]:
    return {m.group(0).lstrip("$€£").rstrip("%").replace(",", "") for m in _FIGURE.finditer(text)}


def foreign_details(reply: str, known: str) -> list[str]:
    """Names greeted, figures and customer e-mail addresses in `reply` that `known` (the
    customer's message, plus the reference when there is one) never mentions."""
    known_lower = known.lower()
    known_words = set(re.findall(r"[a-z]+", known_lower))
    out: list[str] = []
    for match in _GREETED.finditer(reply):
        name = match.group(1)
        if name.lower() not in _NOT_NAMES and name.lower() not in known_words:
            out.append(name)
    known_figures = _figures(known) | {n.lstrip("0") or "0" for n in re.findall(r"\d+", known)}
    for figure in sorted(_figures(reply)):
        if figure not in known_figures and figure.lstrip("0") not in known_figures:
            out.append(figure)
    for email in _EMAIL.findall(reply):
        local = email.split("@", 1)[0].lower()
        if local not in _ROLE_MAILBOXES and email.lower() not in known_lower:
            out.append(email)
    return list(dict.fromkeys(out))


class Judge:
    def __init__(self, embedder: MiniLMEmbedder, language: object | None = None) -> None:
        self.embedder = embedder
        self._language = language

    def _lang(self, text: str) -> str:
        from smartinbox.ai.language import LanguageDetector, shared_detector

        if self._language is None:
            self._language = shared_detector()
        assert isinstance(self._language, LanguageDetector)
        return self._language.detect(text).code

    def evaluate(self, message: str, reply: str, reference: str | None = None) -> Judgement:
        comments: list[str] = []
        signals: dict[str, float] = {}
        text = reply.strip()
        if not text:
            return Judgement(0.0, ["The reply is empty."], {"empty": 1.0})
        texts = [message, text] + ([reference] if reference else [])
        vectors = self.embedder.embed(texts)
        relevance = float(np.dot(vectors[0], vectors[1]))
        signals["relevance"] = round(relevance, 4)
        score = 0.35 + 0.65 * max(0.0, relevance)
        if reference:
            agreement = float(np.dot(vectors[1], vectors[2]))
            signals["agreement"] = round(agreement, 4)
            score = 0.4 * score + 0.6 * max(0.0, agreement)
            if agreement < 0.5:
                comments.append(
                    f"Says something different from the reference reply (similarity {agreement:.2f})."
                )
        if relevance < 0.3:
            comments.append(
                f"Barely related to what the customer wrote (similarity {relevance:.2f})."
            )

        known = _numbers(message) | (_numbers(reference) if reference else set())
        given = _numbers(text)
        invented = given - known
        if invented:
            score -= 0.35
            comments.append(
                f"Mentions numbers the customer never gave: {', '.join(sorted(invented))}."
            )
        # An invented order number is counted above, not again as a figure.
        leaked = [
            d
            for d in foreign_details(text, message + "\n" + (reference or ""))
            if not any(d.upper() in number for number in invented)
        ]
        if leaked:
            score -= 0.4
            signals["foreign_details"] = float(len(leaked))
            comments.append(
                "Mentions details of another customer's case that this message never gave: "
                f"{', '.join(leaked)}."
            )
        if reference:
            missing = (_numbers(reference) - _numbers(message)) - given
            if missing:
                score -= 0.1
                comments.append(
                    f"Leaves out specifics the agent gave: {', '.join(sorted(missing))}."
                )
        if len(text) < MIN_REPLY_CHARS:
            score -= 0.25
            comments.append("Too short to help.")
        elif (
            text[-1] not in ".!?)\"'…:" and len(text.split()) > 4 and not text.endswith(("-", "*"))
        ):
            score -= 0.1
            comments.append("Looks cut off mid-sentence.")
        msg_lang, reply_lang = self._lang(message), self._lang(text)
        if "und" not in (msg_lang, reply_lang) and msg_lang != reply_lang:
            score -= 0.3
            comments.append(f"Written in '{reply_lang}' but the customer wrote in '{msg_lang}'.")
        if not comments:
            comments.append("Relevant, specific and complete.")
        return Judgement(round(float(min(1.0, max(0.0, score))), 4), comments, signals)


def get_judge() -> Judge:
    from smartinbox.ai.registry import shared_embedder

    return Judge(shared_embedder())
