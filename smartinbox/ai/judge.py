"""The local judge: scores a reply to a customer message, with or without a reference reply.

`evaluate(message, reply, reference=None) -> Judgement(score 0..1, comments)`. The score blends
signals a support lead looks at, each recorded in the comments so a low score explains itself:

* relevance: semantic similarity of the reply to the message (MiniLM embeddings);
* agreement: similarity to the reference (the agent's reply) when there is one;
* specifics: order, invoice and ticket numbers the customer or the reference gave and the
  reply repeats, and numbers the reply invents (a hallucinated order number costs the most);
* form: empty, very short or truncated replies, and a reply in another language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from smartinbox.ai.embedder import MiniLMEmbedder

_NUMBER = re.compile(r"\b[A-Z]{0,4}[-#]?\d[\d-]{3,}\b", re.I)
MIN_REPLY_CHARS = 25


@dataclass
class Judgement:
    score: float
    comments: list[str] = field(default_factory=list)
    signals: dict[str, float] = field(default_factory=dict)


def _numbers(text: str) -> set[str]:
    return {m.group(0).lstrip("#").upper() for m in _NUMBER.finditer(text)}


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
