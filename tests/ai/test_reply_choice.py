"""The consensus choice among retrieved replies, and when it abstains (no models needed)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smartinbox.ai.memory import Neighbour, StoredReply
from smartinbox.ai.reply_choice import ABSTAIN_BELOW, choose


def _n(reply: str, similarity: float, position: int, source: str = "history") -> Neighbour:
    entry = StoredReply("message", reply, reply, source, str(position), "topic")
    return Neighbour(entry, similarity, position, similarity)


# Replies as fixed vectors: "refund*" replies agree with each other, "odd" agrees with nothing.
VECTORS = {
    "refund a": [1.0, 0.0, 0.0],
    "refund b": [0.95, 0.31, 0.0],
    "refund c": [0.95, 0.0, 0.31],
    "odd": [0.0, 0.0, 1.0],
    "ask order": [0.9, 0.43, 0.0],
    "next step": [0.0, 1.0, 0.0],
    "next step b": [0.1, 1.0, 0.0],
}


def _vectors(neighbours: Sequence[Neighbour]) -> np.ndarray:
    rows = np.array([VECTORS[n.entry.reply] for n in neighbours], dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_the_reply_the_other_candidates_agree_with_wins_over_the_nearest() -> None:
    found = [_n("odd", 0.80, 1), _n("refund a", 0.76, 2), _n("refund b", 0.75, 3),
             _n("refund c", 0.74, 4)]  # fmt: skip
    picked = choose(found, _vectors, message="I want my money back")
    assert picked.chosen.entry.reply.startswith("refund")
    assert not picked.abstained
    assert picked.consensus > 0.6


def test_nothing_close_enough_abstains_with_the_closest_evidence() -> None:
    low = ABSTAIN_BELOW - 0.1
    picked = choose([_n("refund a", low, 1), _n("odd", low - 0.05, 2)], _vectors, message="x")
    assert picked.abstained and picked.reason and f"{low:.2f}" in picked.reason


def test_an_urgent_message_never_gets_a_seed_faq() -> None:
    faq = [_n("refund a", 0.9, 1, "seed"), _n("refund b", 0.85, 2, "seed")]
    picked = choose(faq, _vectors, message="API returns 500s", kind="urgent", urgency=0.9)
    assert picked.abstained and "urgent" in (picked.reason or "")
    mixed = [*faq, _n("odd", 0.7, 3, "agent_reply")]
    picked = choose(mixed, _vectors, message="API returns 500s", kind="complaint", urgency=0.9)
    assert picked.chosen.entry.source == "agent_reply"


def test_a_reply_asking_for_the_order_number_given_loses() -> None:
    asking = StoredReply("m", "ask order", "Could you please share your order number?",
                         "history", "9", "t")  # fmt: skip
    found = [Neighbour(asking, 0.80, 9, 0.80), _n("refund a", 0.78, 2), _n("refund b", 0.6, 3)]
    given = choose(found, _vectors, message="refund for order A-48213 please")
    assert given.chosen.entry.reply == "refund a"
    # The same reply is fine once nothing was given... unless the customer gave it earlier.
    earlier = choose(found, _vectors, message="refund please", history=["order A-48213"])
    assert earlier.chosen.entry.reply == "refund a"


def test_a_reply_the_agent_already_sent_in_this_conversation_loses() -> None:
    found = [_n("refund a", 0.80, 1), _n("next step", 0.78, 2), _n("next step b", 0.77, 3)]
    first = choose(found, _vectors, message="and now?").chosen
    sent = _vectors([first])
    again = choose(found, _vectors, message="and now?", history_vectors=sent).chosen
    assert again.entry.reply != first.entry.reply
    assert float(_vectors([again])[0] @ sent[0]) < 0.9


def test_one_reply_the_team_wrote_beats_agreeing_faq_replies() -> None:
    found = [_n("refund a", 0.85, 1, "seed"), _n("refund b", 0.84, 2, "seed"),
             _n("odd", 0.80, 3, "agent_reply"), _n("refund c", 0.83, 4, "seed")]  # fmt: skip
    assert choose(found, _vectors, message="x").chosen.entry.source == "agent_reply"
    # Much further away than the FAQ replies, it does not.
    found[2] = _n("odd", 0.70, 3, "agent_reply")
    assert choose(found, _vectors, message="x").chosen.entry.source == "seed"
