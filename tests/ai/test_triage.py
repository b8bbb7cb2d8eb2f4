from __future__ import annotations

import pytest

from smartinbox.ai.engine import MessageInput
from smartinbox.ai.providers.local import LocalEngine

from .conftest import SEED_MESSAGES

KINDS = {"complaint", "question", "urgent", "casual", "spam"}
CONFIDENCE_KEYS = {"kind", "topic", "urgency", "sentiment", "spam", "language"}


@pytest.mark.parametrize("expected", sorted(SEED_MESSAGES))
def test_seed_messages_get_their_kind(shared_engine: LocalEngine, expected: str) -> None:
    triage = shared_engine.analyze([MessageInput(SEED_MESSAGES[expected])])[0]
    assert triage.kind == expected


def test_urgency_separates_outage_from_chatter(shared_engine: LocalEngine) -> None:
    urgent, casual = shared_engine.analyze(
        [MessageInput(SEED_MESSAGES["urgent"]), MessageInput(SEED_MESSAGES["casual"])]
    )
    assert urgent.urgency > 0.7
    assert casual.urgency < 0.4


def test_complaint_is_negative_and_compliment_positive(shared_engine: LocalEngine) -> None:
    complaint, compliment = shared_engine.analyze(
        [
            MessageInput(SEED_MESSAGES["complaint"]),
            MessageInput("Thank you so much, your team was wonderful and very quick!"),
        ]
    )
    assert complaint.sentiment < 0
    assert compliment.sentiment > 0.2


def test_gibberish_is_spam_without_language(shared_engine: LocalEngine) -> None:
    triage = shared_engine.analyze([MessageInput(SEED_MESSAGES["spam"])])[0]
    assert triage.spam > 0.5
    assert triage.language == "und"
    assert triage.topic == "other"


def test_topics_follow_the_taxonomy(shared_engine: LocalEngine) -> None:
    texts = {
        "refund": "I returned the shoes two weeks ago, when will I get my money back?",
        "invoice": "Where can I download the invoice for my last purchase?",
        "delivery": "How long does shipping to Germany usually take?",
        "account": "I forgot my password and can't log into my account",
    }
    results = shared_engine.analyze([MessageInput(t) for t in texts.values()])
    assert [r.topic for r in results] == list(texts)


def test_out_of_scope_requests_are_flagged(shared_engine: LocalEngine) -> None:
    off_topic, support = shared_engine.analyze(
        [
            MessageInput("what is a good recipe for banana bread"),
            MessageInput("I want to cancel my order"),
        ]
    )
    assert off_topic.out_of_scope and off_topic.topic == "other"
    assert not support.out_of_scope


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Bonjour, je n'ai toujours pas reçu ma commande, pouvez-vous vérifier ?", "fr"),
        ("Hola, me cobraron dos veces el mismo pedido y quiero un reembolso.", "es"),
        ("Where is my parcel? It should have arrived on Monday.", "en"),
    ],
)
def test_language(shared_engine: LocalEngine, text: str, language: str) -> None:
    assert shared_engine.analyze([MessageInput(text)])[0].language == language


def test_every_field_is_in_range_with_provenance(shared_engine: LocalEngine) -> None:
    results = shared_engine.analyze([MessageInput(t) for t in SEED_MESSAGES.values()])
    for triage in results:
        assert triage.kind in KINDS
        assert 0.0 <= triage.urgency <= 1.0
        assert -1.0 <= triage.sentiment <= 1.0
        assert 0.0 <= triage.spam <= 1.0
        assert set(triage.confidence) >= CONFIDENCE_KEYS
        assert all(0.0 <= v <= 1.0 for v in triage.confidence.values())
        assert triage.model_version == shared_engine.version
        assert triage.latency_ms > 0


def test_batch_gives_the_same_answers_as_one_by_one(shared_engine: LocalEngine) -> None:
    messages = [MessageInput(t) for t in SEED_MESSAGES.values()]
    batch = shared_engine.analyze(messages)
    single = [shared_engine.analyze([m])[0] for m in messages]
    assert [b.kind for b in batch] == [s.kind for s in single]
    assert [b.topic for b in batch] == [s.topic for s in single]
    for b, s in zip(batch, single, strict=True):
        assert b.urgency == pytest.approx(s.urgency, abs=0.02)


def test_subject_is_part_of_the_text(shared_engine: LocalEngine) -> None:
    triage = shared_engine.analyze(
        [MessageInput(body="see title", subject="URGENT: checkout is down for every customer")]
    )[0]
    assert triage.kind == "urgent"


def test_empty_batch(shared_engine: LocalEngine) -> None:
    assert shared_engine.analyze([]) == []


def test_other_languages_are_triaged_with_low_confidence(shared_engine: LocalEngine) -> None:
    english, dutch = shared_engine.analyze(
        [
            MessageInput("How can I change my password?"),
            MessageInput("Hoe kan ik mijn wachtwoord wijzigen?"),
        ]
    )
    assert dutch.language == "nl"
    assert dutch.confidence["kind"] <= 0.5 < english.confidence["kind"]
    assert dutch.confidence["language"] > 0.9
