from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from smartinbox.ai.placeholders import extract_entities, fill_placeholders, templatize


def test_extracts_order_invoice_and_hash_references() -> None:
    found = extract_entities("Order 113542617735902 and invoice INV-2024-001, refund $25.99")
    assert found == {"order": "113542617735902", "invoice": "INV-2024-001", "amount": "$25.99"}
    assert extract_entities("my parcel #A-1234 never came") == {"order": "A-1234"}
    assert extract_entities("order number: 88812 please") == {"order": "88812"}


def test_small_quantities_are_not_identifiers() -> None:
    assert extract_entities("I ordered 2 shirts and 10 socks") == {}


def test_account_type_needs_a_plan_word() -> None:
    assert extract_entities("switch me to the gold plan", ["Gold"]) == {"account_type": "Gold"}
    assert extract_entities("feel free to call", ["free"]) == {}


def test_unfillable_identifiers_become_neutral_wording() -> None:
    text = fill_placeholders(
        "I see you want to cancel the order with the number {{Order Number}}. "
        "Please check invoice {{Invoice Number}} on {{Website Name}} "
        "or call {{Customer Support Phone Number}}.",
        {},
    ).text
    assert text == (
        "I see you want to cancel your order. Please check your invoice on our website "
        "or call our support phone line."
    )


def test_values_from_the_message_fill_placeholders() -> None:
    filled = fill_placeholders(
        "Hi {{Customer Name}}, order {order_number} is on its way.",
        {"order": "A-1234"},
        "Dana Smith",
    )
    assert filled.text == "Hi Dana, order A-1234 is on its way."
    assert filled.neutralised == []


def test_missing_name_is_dropped_cleanly() -> None:
    assert fill_placeholders("Don't worry, {{Client First Name}}, I'm here.", {}).text == (
        "Don't worry, I'm here."
    )


def test_example_bullets_without_content_are_removed() -> None:
    filled = fill_placeholders("Refunds apply to:\n- {{Case 1}}\n- {{Case 2}}\nThanks", {})
    assert filled.text == "Refunds apply to:\nThanks"
    assert filled.content_gaps == 2


def test_templatize_removes_the_original_customers_values() -> None:
    template = templatize(
        "Your refund of $350 for order 00123842 is on its way, Jane.",
        {"order": "00123842", "amount": "350 dollars"},
        "I expect a refund of 350 dollars for order 00123842",
    )
    assert (
        template
        == "Your refund of {{Refund Amount}} for order {{Order Number}} is on its way, Jane."
    )


def test_templatize_catches_identifiers_copied_without_a_label() -> None:
    template = templatize("Case 9182736 is open.", {}, "about my case 9182736")
    assert "9182736" not in template
    assert "your reference number" in fill_placeholders(template, {}).text


@settings(max_examples=200, deadline=None)
@given(
    label=st.text(alphabet=st.characters(categories=("L", "N", "Zs")), min_size=1, max_size=30),
    prefix=st.sampled_from(["", "Your ", "the order ", "Hi ", "- "]),
)
def test_no_braces_ever_survive(label: str, prefix: str) -> None:
    if not label.strip():
        return
    text = fill_placeholders(f"{prefix}{{{{{label}}}}} done.", {}).text
    assert "{{" not in text and "}}" not in text
    assert not re.search(r"\{\w", text)
