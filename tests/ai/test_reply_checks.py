"""The checks every suggested reply must pass, and templating that passes them (no models)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smartinbox.ai.placeholders import extract_entities, fill_placeholders
from smartinbox.ai.reply_checks import (
    asks_for_given_value,
    grammar_problems,
    leaked_values,
    without_requests_for_given,
)


def test_the_broken_sentences_reported_are_each_caught() -> None:
    assert grammar_problems("Visit our website, our website for details.")[0].startswith("doubled")
    assert "missing preposition" in grammar_problems("We are available our support hours.")[0]
    assert grammar_problems(
        "We answer from the start of our business hours to the end of our business hours."
    )[0].startswith("phrase repeated")
    assert grammar_problems("Look for the specific your order.")[0].startswith("dangling")
    assert grammar_problems("Open {{Order History}} now.") == ["brace"]
    asked = grammar_problems(
        "Could you please share your order number?", "My order A-48213 never came"
    )
    assert asked == ["asks for the order number the message gives"]


def test_good_replies_pass() -> None:
    for text in (
        "Thank you, I have cancelled order A-48213. Explain to the person your need for help.",
        "If email is not convenient for you, you can call us. Very very sorry!",
        "Go to the My Orders section. If you have any questions or if you have any doubts, ask.",
    ):
        assert grammar_problems(text, "order A-48213 please cancel") == [], text
    # Asking for an order number is fine when the customer gave none.
    assert (
        grammar_problems("Could you please share your order number?", "Where is my parcel?") == []
    )


def test_leaks_are_values_from_neither_the_conversation_nor_the_teams_text() -> None:
    reply = (
        "Hi Maya, we reversed the 9 duplicate charges; call 0800 123 456 or mail help@shop.test."
    )
    message = "I was charged five times this month!"
    assert leaked_values(reply, [message]) == ["0800", "123", "456", "9", "Maya", "help@shop.test"]
    approved = {"0800", "123", "456", "help@shop.test"}
    assert leaked_values(reply, [message], approved) == ["9", "Maya"]
    assert leaked_values(reply, ["I am Maya and was charged 9 times"], approved) == []
    # List numbering is not customer data.
    assert leaked_values("1. Log in.\n2. Open Orders.", ["hello"]) == []


def test_a_request_for_a_value_already_given_is_left_out() -> None:
    context = "my order 554433221100 is late"
    reply = (
        "Sorry about the delay. Please provide your order number and the new address, and we "
        "will check. Could you please share the order number?"
    )
    out = without_requests_for_given(reply, context)
    assert out == "Sorry about the delay. Please provide the new address, and we will check."
    assert not asks_for_given_value(out, context)
    assert without_requests_for_given(reply, "no number here") == reply


LEADS = [
    "Look for the specific {{Order Number}}.",
    "Search for the order labeled with the ID {{Order Number}}.",
    "Locate the purchase with the number {{Reference Number}}.",
    "Log in to your account on our {{Website Name}}, {{Website URL}}.",
    "Our team is available {{Customer Support Hours}} by phone.",
    "Our hours are from {{Start Time}} to {{End Time}} every day.",
    "While we have a dedicated {{Customer Support Phone Number}}, e-mail works too.",
    "Find the corresponding {{Order Number}} in the list.",
    "Look for the specific invoice {{Invoice Number}}.",
    "Could you please share your order number so that I can look at {{Order Number}}?",
    "Visit {{Online Company Portal Info}} and open {{Order History}}.",
    "Dear {{Client First Name}}, thank you for contacting {{Company Name}}.",
]
MESSAGES = st.sampled_from([
    "Hello, I need help with this.",
    "My order A-48213 has not arrived, I paid $49.99.",
    "Invoice INV-90317 looks wrong.",
    "tracking number 1Z999AA10123456784 shows nothing",
])  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(LEADS), min_size=1, max_size=4), MESSAGES, st.booleans())
def test_a_generated_corpus_fills_into_correct_text(
    parts: list[str], message: str, use_message: bool
) -> None:
    template = " ".join(parts)
    entities = extract_entities(message) if use_message else {}
    text = without_requests_for_given(fill_placeholders(template, entities).text, message)
    context = message if use_message else ""
    assert grammar_problems(text, context) == [], text
    assert leaked_values(text, [message], approved={"1", "2"}) == [], text
