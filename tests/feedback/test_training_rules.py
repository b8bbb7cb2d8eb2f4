"""Training data rules: the seed's prompt, junk filtering, merging near-duplicates, PII, tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartinbox.feedback import tokens
from smartinbox.feedback.jsonl import ValidationReport, chat_record, problem
from smartinbox.feedback.service import merge_example
from smartinbox.feedback.training import (
    ExampleCandidate,
    build_training_prompt,
    example_for,
    is_junk,
)
from smartinbox.kit import pii
from smartinbox.models import TrainingExample, TrainingExampleSource
from tests.conftest import Env


def test_prompt_has_the_seed_format() -> None:
    text = build_training_prompt("Where is it?", "On its way.", False, "Order 5 ships today.")
    assert text.splitlines()[0] == "Customer Message:"
    assert "AI Suggested Reply:\nOn its way." in text
    assert "Was this useful? → ❌ No" in text
    assert text.endswith("----\nUse this to learn how to improve the AI next time.")
    useful = build_training_prompt("Where is it?", "On its way.", True, "ignored")
    assert "✅ Yes" in useful and "Agent replied" not in useful


@pytest.mark.parametrize(
    "completion",
    ["", "   ", "N/A", "n/a.", "TBD", "...", "Hi {customer_name}, done", "Dear [Customer Name],"],
)
def test_junk_completions_are_rejected(completion: str) -> None:
    assert is_junk(completion)
    assert example_for("Where is my order?", "x", completion, False, "replaced") is None


def test_which_interactions_teach() -> None:
    assert example_for("m", "ai", "Agent text here", False, "replaced").source == "correction"  # type: ignore[union-attr]
    assert example_for("m", "ai", "AI text sent", None, "unchanged").source == "accepted"  # type: ignore[union-attr]
    assert example_for("m", "ai", "AI text edited", None, "edited").source == "edited"  # type: ignore[union-attr]
    assert example_for("m", "ai text ok", None, True, None).completion == "ai text ok"  # type: ignore[union-attr]
    assert example_for("m", "ai", None, False, None) is None  # thumbs-down, nothing better known


def test_near_duplicates_merge_and_merging_is_idempotent(env: Env) -> None:
    settings = env.settings
    a = ExampleCandidate("Where is my REFUND?", "Your refund was sent today.", "correction", 2.0)
    b = ExampleCandidate("where is my refund", "Your refund was sent today!", "override", 1.5)
    c = ExampleCandidate(
        "Where is my refund??", "We never received the parcel back.", "correction", 2.0
    )
    with env.session() as s:
        merge_example(
            s, settings, a, source_key="replay:1", message_id=None, version_id=None, not_useful=3
        )
        merge_example(
            s, settings, a, source_key="replay:1", message_id=None, version_id=None, not_useful=3
        )
        ex = merge_example(
            s, settings, b, source_key="replay:2", message_id=None, version_id=None, not_useful=4
        )
        assert (ex.weight, ex.not_useful_count, ex.completion) == (3.5, 7, a.completion)
        ex = merge_example(
            s, settings, c, source_key="replay:3", message_id=None, version_id=None, not_useful=0
        )
        # A different answer to the same message replaces the old one (newest correction wins).
        assert ex.completion == c.completion and ex.weight == 2.0 and ex.not_useful_count == 7
    with env.session() as s:
        assert len(s.scalars(select(TrainingExample)).all()) == 1
        assert len(s.scalars(select(TrainingExampleSource)).all()) == 3


def test_pii_redaction() -> None:
    text = (
        "Write to jane.doe+shop@example.co.uk or call +44 20 7946 0958 / (415) 555-2671. "
        "Card 4111-1111-1111-1111. Order 123456 costs 19.99 on 2026-01-31."
    )
    out = pii.redact(text)
    assert "jane" not in out and "7946" not in out and "555-2671" not in out and "4111" not in out
    assert out.count("[email]") == 1 and out.count("[phone]") == 2 and out.count("[card]") == 1
    # Order numbers, prices and dates are not personal data and stay.
    assert "Order 123456 costs 19.99 on 2026-01-31" in out
    assert pii.redact("4111 1111 1111 1112") == "4111 1111 1111 1112"  # fails Luhn: not a card


def test_tokens_are_counted_offline() -> None:
    assert tokens.method() == "tiktoken:cl100k_base"
    assert tokens.count_text("hello world") == 2
    assert tokens.count_messages([{"role": "user", "content": "hello world"}]) == 3 + 3 + 2 + 1


def test_validator_reasons() -> None:
    good = chat_record("sys", "q", "a")
    assert problem(good, 100) == (None, problem(good, 100)[1])
    assert problem({"messages": []}, 100)[0] == "no messages"
    assert problem({"messages": [{"role": "bot", "content": "x"}]}, 100)[0] == "unknown role"
    assert problem(chat_record("sys", "q", " "), 100)[0] == "empty content"
    wrong_order = {
        "messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}]
    }
    assert problem(wrong_order, 100)[0].startswith("roles out of order")  # type: ignore[union-attr]
    assert problem(chat_record("", "q " * 200, "a"), 50)[0] == "over 50 tokens"
    report = ValidationReport(max_tokens=100, min_examples=2)
    assert report.check(good) and not report.check({"messages": []})
    assert not report.ok and report.to_dict()["dropped"] == {"no messages": 1}
