"""From head probabilities to `Triage` records: the decision rules on top of the learned heads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from smartinbox.ai.custom_heads import CustomHead
from smartinbox.ai.embedder import FloatMatrix
from smartinbox.ai.engine import Triage
from smartinbox.ai.features import TfidfFeaturizer, assemble, style_matrix
from smartinbox.ai.heads import LinearHead
from smartinbox.ai.language import LanguageDetector, shared_detector
from smartinbox.ai.signals import (
    is_customer,
    raised_urgency,
    spam_on_scale,
    urgency_reasons,
)

OUT_OF_SCOPE_CUTOFF = 0.5
OTHER_TOPIC = "other"
# Every head except language learned from English text only. On other languages their answers
# are guesses, and the confidence says so, so that such messages are reviewed rather than
# trusted (e.g. not hidden as spam on the head's word alone).
TRAINED_LANGUAGES = ("en", "und")
OTHER_LANGUAGE_FACTOR = 0.5
# Spam is decided for precision: a legitimate customer in the spam bin is a lost customer.
# The averaged spam score must reach SPAM_CUTOFF (chosen on the dev split of the real-traffic
# sets, benchmarks/real_traffic.py, for a false-positive rate of at most 0.5% on legitimate
# mail); a message about the writer's own order, account, payment or booking must reach
# CUSTOMER_SPAM_CUTOFF; one in a language the heads did not learn OTHER_LANGUAGE_SPAM_CUTOFF,
# and never when it is about the writer's own order or account. The reported spam score is
# rescaled so that the cut-off that applied is 0.5.
SPAM_CUTOFF = 0.93
CUSTOMER_SPAM_CUTOFF = 0.97
OTHER_LANGUAGE_SPAM_CUTOFF = 0.99
TEAM_SPAM_CUTOFF = 0.5
TEAM_CUSTOMER_SPAM_CUTOFF = 0.8
NEVER = 1.01
GIBBERISH_SPAM_CUTOFF = 0.5


class TriageModel:
    def __init__(
        self,
        featurizer: TfidfFeaturizer,
        heads: Mapping[str, LinearHead],
        language: LanguageDetector | None = None,
        custom: Mapping[str, CustomHead] | None = None,
    ) -> None:
        self.featurizer = featurizer
        # A team's own head for a field (its taxonomy) takes the place of the shipped one.
        self.custom = dict(custom or {})
        self.heads = {**heads, **{name: c.head for name, c in self.custom.items()}}
        self.language = language or shared_detector()
        self.needs_embeddings = any(h.variant != "tfidf" for h in self.heads.values())
        self.spam_cutoff = SPAM_CUTOFF
        self.customer_spam_cutoff = CUSTOMER_SPAM_CUTOFF
        if "spam" in self.custom:
            # A team's own spam head learned the team's own labels: its probability is read
            # as it is, with a stricter bar for a message about the writer's own order.
            self.spam_cutoff = TEAM_SPAM_CUTOFF
            self.customer_spam_cutoff = TEAM_CUSTOMER_SPAM_CUTOFF

    def spam_cutoff_for(self, text: str, language: str, gibberish: float = 0.0) -> float:
        """The spam score a message must reach to be called spam. Test messages and keyboard
        mashing (no language, flagged by the gibberish head) are nobody's request: for them
        the plain 0.5 applies."""
        if language == "und" and gibberish >= GIBBERISH_SPAM_CUTOFF:
            return min(self.spam_cutoff, 0.5)
        customer = is_customer(text)
        if language not in TRAINED_LANGUAGES:
            # The heads learned English: on other languages their spam score says little. A
            # customer writing about an order or account is never called spam on it.
            return NEVER if customer else max(self.spam_cutoff, OTHER_LANGUAGE_SPAM_CUTOFF)
        if customer:
            return max(self.spam_cutoff, self.customer_spam_cutoff)
        return self.spam_cutoff

    def probabilities(
        self, texts: Sequence[str], embeddings: FloatMatrix | None
    ) -> dict[str, FloatMatrix]:
        tfidf = (
            self.featurizer.transform(texts)
            if any(h.variant != "minilm" for h in self.heads.values())
            else None
        )
        style = style_matrix(texts)
        matrices = {}
        out = {}
        for name, head in self.heads.items():
            if name in self.custom:
                assert embeddings is not None
                out[name] = self.custom[name].proba(texts, embeddings)
                continue
            if head.variant not in matrices:
                matrices[head.variant] = assemble(head.variant, tfidf, embeddings, style)
            out[name] = head.proba(matrices[head.variant])
        return out

    def spam_scores(self, proba: Mapping[str, FloatMatrix]) -> FloatMatrix:
        """The spam score before any cut-off: the spam head's probability, averaged with the
        kind head's P(spam) where the kind head has a spam class, so that a message called spam
        never reports a spam probability below one half by accident. A team's own spam head
        (its labels) answers alone."""
        spam = np.asarray(self.heads["spam"].positive(proba["spam"]), dtype=np.float64)
        kind_head = self.heads["kind"]
        if "spam" in kind_head.classes and "spam" not in self.custom:
            # (a team's own kinds may have no spam class)
            spam = (spam + proba["kind"][:, kind_head.classes.index("spam")]) / 2
        return np.asarray(spam, dtype=np.float32)

    def topic_proba(self, texts: Sequence[str], embeddings: FloatMatrix | None) -> FloatMatrix:
        """P(topic) for each text over `self.heads["topic"].classes`, from the topic head only."""
        if "topic" in self.custom:
            assert embeddings is not None
            return self.custom["topic"].proba(texts, embeddings)
        head = self.heads["topic"]
        tfidf = self.featurizer.transform(texts) if head.variant != "minilm" else None
        return head.proba(assemble(head.variant, tfidf, embeddings, style_matrix(texts)))

    def topics(self, texts: Sequence[str], embeddings: FloatMatrix | None) -> list[str]:
        head = self.heads["topic"]
        proba = self.topic_proba(texts, embeddings)
        return [head.classes[i] for i in proba.argmax(axis=1)]

    def triage(
        self,
        texts: Sequence[str],
        embeddings: FloatMatrix | None,
        model_version: str,
        latency_ms: float,
    ) -> list[Triage]:
        proba = self.probabilities(texts, embeddings)
        kind_head, topic_head = self.heads["kind"], self.heads["topic"]
        urgency = self.heads["urgency"].expected_value(proba["urgency"])
        sentiment = self.heads["sentiment"].expected_value(proba["sentiment"])
        spam_p = self.spam_scores(proba)
        oos_p = self.heads["out_of_scope"].positive(proba["out_of_scope"])
        gibberish_p = self.heads["gibberish"].positive(proba["gibberish"])
        team = self.custom.get("topic")
        team_scope = None
        if team is not None and team.oos_label is not None:
            assert embeddings is not None
            team_scope = team.scope(proba["topic"], embeddings)
        results = []
        for i, text in enumerate(texts):
            raw_spam = float(spam_p[i])
            spam_class = kind_head.classes.index("spam") if "spam" in kind_head.classes else None
            language = self.language.detect(text, float(gibberish_p[i]))
            cutoff = self.spam_cutoff_for(text, language.code, float(gibberish_p[i]))
            is_spam = raw_spam >= cutoff
            spam = spam_on_scale(raw_spam, cutoff)
            kind_scores = np.array(proba["kind"][i], dtype=np.float64)
            if spam_class is not None:
                if is_spam:
                    kind_scores[spam_class] = max(kind_scores[spam_class], kind_scores.max() + 1)
                elif len(kind_scores) > 1:
                    kind_scores[spam_class] = -1.0
            kind_i = int(np.argmax(kind_scores))
            kind = kind_head.classes[kind_i]
            kind_p = float(proba["kind"][i][kind_i])
            if spam_class is not None and kind_i == spam_class:
                kind_p = max(kind_p, spam)
            topic_i = int(np.argmax(proba["topic"][i]))
            topic, topic_conf = topic_head.classes[topic_i], float(proba["topic"][i][topic_i])
            p_oos = float(oos_p[i])
            out_of_scope = p_oos >= OUT_OF_SCOPE_CUTOFF
            if team is not None and team_scope is not None:
                # The team labelled what it does not handle: its own head decides the scope.
                scope = float(team_scope[i])
                out_of_scope = team.out_of_scope(topic, scope)
                p_oos = _team_oos_probability(team, proba["topic"][i], topic, scope)
            elif out_of_scope and team is not None:
                # The shipped scope is e-commerce support; a team's own topics define its scope,
                # so a message its head files confidently is in scope whatever that head says.
                out_of_scope = p_oos > topic_conf
            # Junk and out-of-scope requests have no support topic, whatever their words suggest.
            if kind == "spam" or out_of_scope:
                topic = OTHER_TOPIC
                topic_conf = float(max(kind_p, p_oos))
            factor = 1.0 if language.code in TRAINED_LANGUAGES else OTHER_LANGUAGE_FACTOR
            reasons = [] if kind == "spam" else urgency_reasons(text, float(sentiment[i]))
            urgency_i = raised_urgency(float(np.clip(urgency[i], 0.0, 1.0)), reasons)
            confidence = {
                "kind": _r(kind_p * factor),
                "topic": _r(topic_conf * factor),
                "urgency": _r(proba["urgency"][i].max() * factor),
                "sentiment": _r(proba["sentiment"][i].max() * factor),
                "spam": _r(max(spam, 1.0 - spam) * factor),
                "language": _r(language.confidence),
                "out_of_scope": _r(max(p_oos, 1.0 - p_oos) * factor),
            }
            note = None
            if factor != 1.0:
                note = (
                    f"Language {language.code}: the triage models learned English only; "
                    "confidences are halved and this message is never called spam on a "
                    "borderline score."
                )
            results.append(
                Triage(
                    kind=kind,
                    topic=topic,
                    urgency=round(urgency_i, 4),
                    sentiment=round(float(np.clip(sentiment[i], -1.0, 1.0)), 4),
                    spam=round(spam, 4),
                    language=language.code,
                    out_of_scope=out_of_scope,
                    confidence=confidence,
                    model_version=model_version,
                    latency_ms=round(latency_ms, 3),
                    note=note,
                    reasons=reasons,
                )
            )
        return results


def _r(value: float | np.floating[Any]) -> float:
    return round(float(value), 4)


def _team_oos_probability(team: CustomHead, proba: FloatMatrix, topic: str, scope: float) -> float:
    """How likely the message is out of scope by the team's head: its out-of-scope class's
    probability, or, when its scope score is below the threshold, the doubt the score says."""
    if topic != team.oos_label and scope < team.oos_threshold:
        return 1.0 - scope
    classes = team.classes
    return float(proba[classes.index(team.oos_label)]) if team.oos_label in classes else 0.0
