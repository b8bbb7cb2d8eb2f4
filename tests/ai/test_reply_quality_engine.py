"""The engine's reply choice end to end: abstention, urgent messages, history, templates, replay."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from smartinbox.ai.engine import HistoryTurn, MemoryItem, MessageInput
from smartinbox.ai.placeholders import extract_entities, fill_placeholders
from smartinbox.ai.providers.local import ABSTAINED_CONFIDENCE, LocalEngine
from smartinbox.ai.reply_checks import grammar_problems, without_requests_for_given
from smartinbox.ai.reply_replay import ReplayPair, replay, snooze_threshold_for_precision


def test_an_urgent_incident_gets_no_faq_but_the_closest_evidence(
    shared_engine: LocalEngine,
) -> None:
    message = MessageInput("Our API returns 500s since 9am, enterprise SLA, production is down!")
    triage = replace(shared_engine.analyze([message])[0], kind="urgent", urgency=0.95)
    suggestion = shared_engine.suggest(message, triage)
    # The shipped memory holds only seed FAQ replies: nothing to suggest for an incident.
    assert suggestion.abstained
    assert suggestion.confidence <= ABSTAINED_CONFIDENCE
    assert suggestion.note and suggestion.note.startswith("No confident suggestion")
    assert suggestion.evidence and suggestion.evidence[0].source == "seed"


def test_off_topic_abstains_and_support_does_not(shared_engine: LocalEngine) -> None:
    off = MessageInput("what will the weather be like in Rome tomorrow")
    support = MessageInput("How do I change my shipping address?")
    off_s, support_s = (
        shared_engine.suggest(m, t)
        for m, t in zip([off, support], shared_engine.analyze([off, support]), strict=True)
    )
    assert off_s.abstained and off_s.confidence <= ABSTAINED_CONFIDENCE
    assert not support_s.abstained and support_s.text


def test_a_number_given_earlier_in_the_conversation_is_not_asked_for(
    fresh_engine: LocalEngine,
) -> None:
    fresh_engine.remember([
        MemoryItem("my parcel is late", "Sorry! Could you please share your order number?",
                   "agent_reply", "a"),
        MemoryItem("the parcel still has not come", "Sorry! Could you please share your order "
                   "number? I will then check with the courier.", "agent_reply", "b"),
    ])  # fmt: skip
    alone = MessageInput("the parcel still has not come")
    first = fresh_engine.suggest(alone, fresh_engine.analyze([alone])[0])
    assert "share your order number" in first.text  # nothing given yet: asking is right
    message = replace(
        alone,
        history=(
            HistoryTurn("customer", "Hello, order A-48213 is late"),
            HistoryTurn("agent", "I am looking into it."),
        ),
    )
    suggestion = fresh_engine.suggest(message, fresh_engine.analyze([message])[0])
    assert suggestion.text and "order number" not in suggestion.text
    assert grammar_problems(suggestion.text, "Hello, order A-48213 is late") == []


def test_every_shipped_template_fills_into_correct_text(shared_engine: LocalEngine) -> None:
    _vectors, active, entries = shared_engine.memory.snapshot()
    templates = [e.template for e, keep in zip(entries, active, strict=True) if keep]
    assert len(templates) > 1000
    messages = ["Hello, I need help.", "My order A-48213 has not arrived, I paid $49.99."]
    failures = []
    for template in templates:
        for message in messages:
            for entities in ({}, extract_entities(message)):
                text = fill_placeholders(template, entities).text
                text = without_requests_for_given(text, message)
                problems = grammar_problems(text, message if entities else "")
                if problems:
                    failures.append((text[:120], problems))
    assert failures == []


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(["A-48213", "554433221100", "ORD-77120"]),
    st.sampled_from(["cancel", "track", "change the address of", "return"]),
)
def test_generated_messages_get_suggestions_that_pass_the_checks(
    shared_engine: LocalEngine, order: str, action: str
) -> None:
    message = MessageInput(f"Please help me {action} order {order}.")
    suggestion = shared_engine.suggest(message, shared_engine.analyze([message])[0])
    assert grammar_problems(suggestion.text, message.text) == [], suggestion.text
    assert "{" not in suggestion.text


def test_replay_answers_each_fold_from_the_others_and_restores_the_engine(
    fresh_engine: LocalEngine,
) -> None:
    memory_before = fresh_engine.memory
    pairs = [
        ReplayPair(f"c{n}", text, reply)
        for n, (text, reply) in enumerate(
            [("reset my password", "Use the 'Forgot password' link on the login page.")] * 4
            + [("where is my parcel", "Your parcel is on its way; see the tracking e-mail.")] * 4
        )
    ]
    outcomes = replay(fresh_engine, pairs, folds=2)
    assert fresh_engine.memory is memory_before
    assert len(outcomes.accepted) == len(pairs) == len(outcomes.confidence)
    # Every request is answered by an identical pair from another conversation.
    assert min(outcomes.similarity) > 0.9 and all(outcomes.accepted)


def test_the_snooze_threshold_is_the_lowest_that_reaches_the_target_precision() -> None:
    confidence = [0.9] * 30 + [0.6] * 30 + [0.3] * 40
    accepted = [1] * 27 + [0] * 3 + [1] * 21 + [0] * 9 + [1] * 8 + [0] * 32
    choice = snooze_threshold_for_precision(confidence, accepted, 0.8)
    assert choice["threshold"] == 0.6 and choice["precision"] == 0.8 and choice["kept"] == 60
    assert snooze_threshold_for_precision(confidence, accepted, 0.95)["threshold"] is None
