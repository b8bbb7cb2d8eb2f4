"""The local judge ranks good replies above wrong, invented, foreign-language and empty ones."""

from __future__ import annotations

import pytest

from smartinbox.ai.judge import Judge, get_judge

MESSAGE = "Where is my refund for order 4481923? I returned it two weeks ago."
REFERENCE = "We issued the refund for order 4481923 today; expect it within 5 business days."


@pytest.fixture(scope="module")
def judge() -> Judge:
    return get_judge()


def test_good_reply_beats_every_kind_of_bad_reply(judge: Judge) -> None:
    good = judge.evaluate(
        MESSAGE,
        "Your refund for order 4481923 was issued today and arrives in 3-5 days.",
        REFERENCE,
    )
    bad = {
        "invented": "Your refund for order 9999999 was issued today and arrives in 3-5 days.",
        "off topic": "Thanks for your interest in our newsletter, you are now subscribed to weekly updates.",
        "language": "Hola, su reembolso ha sido procesado hoy y llegará en unos días.",
        "truncated": "Your refund for order 4481923 was issued today and it should",
        "short": "ok",
    }
    scores = {name: judge.evaluate(MESSAGE, text, REFERENCE) for name, text in bad.items()}
    for name, judgement in scores.items():
        assert judgement.score < good.score, (name, judgement)
        assert judgement.comments and judgement.comments != ["Relevant, specific and complete."], (
            name
        )
    assert "9999999" in " ".join(scores["invented"].comments)
    assert any("'es'" in c for c in scores["language"].comments)
    assert judge.evaluate(MESSAGE, "   ").score == 0.0


def test_scores_without_a_reference(judge: Judge) -> None:
    on_topic = judge.evaluate(
        MESSAGE, "I am sorry for the wait. Your refund for order 4481923 is on its way."
    )
    off_topic = judge.evaluate(MESSAGE, "Our office is closed on public holidays.")
    assert 0.0 <= off_topic.score < on_topic.score <= 1.0
    assert "agreement" not in on_topic.signals


def test_penalises_another_customers_details(judge: Judge) -> None:
    message = (
        "I was charged five times for the same order this morning. Please refund the extra "
        "charges, this is ridiculous."
    )
    own = "I am sorry about the repeated charges. We have reversed the duplicate charges today."
    leaked = (
        "Hi Maya, I am sorry about the repeated charges. We have reversed the 9 duplicate "
        "charges today."
    )
    good, bad = judge.evaluate(message, own), judge.evaluate(message, leaked)
    assert bad.score < good.score - 0.3, (good, bad)
    assert bad.signals["foreign_details"] == 2.0
    comment = " ".join(bad.comments)
    assert "Maya" in comment and "9" in comment
    assert "Relevant, specific and complete." not in bad.comments
    # The customer's own name and figures are no leak, nor is a policy's time span.
    mine = judge.evaluate(
        "Hi, this is Maya. I was charged 9 times for one order.",
        "Hi Maya, we have reversed the 9 duplicate charges; expect the money within 5 days.",
    )
    assert "foreign_details" not in mine.signals
