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
