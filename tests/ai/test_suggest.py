from __future__ import annotations

import re

from smartinbox.ai.engine import MemoryItem, MessageInput, Suggestion
from smartinbox.ai.providers.local import LocalEngine

from .conftest import SEED_MESSAGES


def _suggest(engine: LocalEngine, text: str, customer_name: str | None = None) -> Suggestion:
    message = MessageInput(text, customer_name=customer_name)
    return engine.suggest(message, engine.analyze([message])[0])


def test_order_number_from_the_message_fills_the_reply(shared_engine: LocalEngine) -> None:
    suggestion = _suggest(
        shared_engine, "please help me cancel order 554433221100, I ordered by mistake"
    )
    assert "554433221100" in suggestion.text
    assert "{" not in suggestion.text and "}" not in suggestion.text


def test_no_number_is_invented_when_the_message_has_none(shared_engine: LocalEngine) -> None:
    suggestion = _suggest(shared_engine, "I want to cancel my order, how do I do that?")
    numbers = re.findall(r"\d{4,}", suggestion.text)
    assert numbers == []
    assert "{" not in suggestion.text


def test_invoice_reference_and_name_are_used(shared_engine: LocalEngine) -> None:
    suggestion = _suggest(
        shared_engine, "can you send me invoice INV-2024-001 again?", customer_name="Dana Smith"
    )
    assert "INV-2024-001" in suggestion.text
    assert not re.search(r"\{|\}", suggestion.text)


def test_suggestion_carries_evidence_and_provenance(shared_engine: LocalEngine) -> None:
    suggestion = _suggest(shared_engine, "How long does it take to get a refund?")
    assert suggestion.provider == "local"
    assert suggestion.model == shared_engine.version
    assert 0.5 < suggestion.confidence <= 1.0
    assert suggestion.latency_ms > 0
    assert 1 <= len(suggestion.evidence) <= 3
    top = suggestion.evidence[0]
    assert top.source == "seed" and top.ref_id and top.ref_id.startswith("bitext:")
    assert "refund" in top.message.lower()
    sims = [e.similarity for e in suggestion.evidence]
    assert all(0.0 < s <= 1.0 for s in sims)


def test_junk_and_off_topic_messages_get_low_confidence(shared_engine: LocalEngine) -> None:
    support = _suggest(shared_engine, "How do I change my shipping address?")
    junk = _suggest(shared_engine, SEED_MESSAGES["spam"])
    off_topic = _suggest(shared_engine, "what will the weather be like in Rome tomorrow")
    assert junk.confidence < 0.3
    assert off_topic.confidence < 0.3
    assert support.confidence > max(junk.confidence, off_topic.confidence)


def test_remember_teaches_a_paraphrase_immediately(fresh_engine: LocalEngine) -> None:
    reply = "Yes, express delivery to Iceland takes 3-4 business days."
    before = _suggest(fresh_engine, "Can I get express shipping to Iceland?")
    assert before.text != reply
    fresh_engine.remember(
        [
            MemoryItem(
                "Do you ship to Iceland with express delivery?",
                reply,
                source="agent_reply",
                ref_id="r1",
            )
        ]
    )
    after = _suggest(fresh_engine, "Can I get express shipping to Iceland?")
    assert after.text == reply
    assert after.evidence[0].source == "agent_reply"
    assert after.evidence[0].ref_id == "r1"


def test_later_reply_wins_over_an_older_near_identical_one(fresh_engine: LocalEngine) -> None:
    question = "Do you offer gift wrapping for birthday presents?"
    fresh_engine.remember(
        [MemoryItem(question, "No, sorry, we don't wrap gifts.", source="agent_reply")]
    )
    fresh_engine.remember(
        [MemoryItem(question + " ", "Yes! Tick 'gift wrap' at checkout.", source="accepted")]
    )
    assert _suggest(fresh_engine, "Can you gift wrap a birthday present?").text.startswith("Yes!")


def test_remembered_reply_does_not_leak_the_first_customers_number(
    fresh_engine: LocalEngine,
) -> None:
    fresh_engine.remember(
        [
            MemoryItem(
                "Has my parcel for order 778899001 left the warehouse yet?",
                "Hi, your order 778899001 left our warehouse this morning.",
                source="agent_reply",
            )
        ]
    )
    other = _suggest(fresh_engine, "Has my parcel for order 123450987 left the warehouse yet?")
    assert "123450987" in other.text and "778899001" not in other.text
    without = _suggest(fresh_engine, "Has my parcel left the warehouse yet?")
    assert "778899001" not in without.text
    assert not re.search(r"\d{5,}", without.text)


def test_remember_infers_a_topic_and_ignores_empty_items(fresh_engine: LocalEngine) -> None:
    size = len(fresh_engine.memory)
    fresh_engine.remember(
        [MemoryItem("", "x", source="agent_reply"), MemoryItem("q", " ", source="a")]
    )
    assert len(fresh_engine.memory) == size
    fresh_engine.remember(
        [
            MemoryItem(
                "I was charged twice for my order",
                "We've refunded the duplicate.",
                source="accepted",
            )
        ]
    )
    _, _, entries = fresh_engine.memory.snapshot()
    assert entries[-1].topic in {"payment", "refund", "order"}


def test_batched_suggestions_match_one_at_a_time(shared_engine: LocalEngine) -> None:
    texts = [
        "please help me cancel order 554433221100, I ordered by mistake",
        "How long does it take to get a refund?",
        "can you send me invoice INV-2024-001 again?",
        SEED_MESSAGES["spam"],
        "How do I change my shipping address?",
    ]
    messages = [MessageInput(t, customer_name="Dana Smith") for t in texts]
    triages = shared_engine.analyze(messages)
    batched = shared_engine.suggest_many(messages, triages)
    single = [shared_engine.suggest(m, t) for m, t in zip(messages, triages, strict=True)]
    for a, b in zip(batched, single, strict=True):
        assert a.text == b.text
        assert abs(a.confidence - b.confidence) < 1e-4
        assert [e.ref_id for e in a.evidence] == [e.ref_id for e in b.evidence]
        assert a.latency_ms > 0
    assert shared_engine.suggest_many([], []) == []
