from __future__ import annotations

import numpy as np

from smartinbox.ai.memory import ReplyMemory, StoredReply


def _entry(n: int, source: str = "seed", topic: str = "order") -> StoredReply:
    return StoredReply(f"message {n}", f"reply {n}", f"reply {n}", source, f"r{n}", topic)


def _unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_search_ranks_by_cosine_similarity() -> None:
    memory = ReplyMemory(3)
    memory.add(
        [_entry(0), _entry(1), _entry(2)],
        np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(1, 1, 0)]),
    )
    found = memory.search(_unit(1, 0.1, 0), k=2)
    assert [n.entry.ref_id for n in found] == ["r0", "r2"]
    assert found[0].similarity > found[1].similarity


def test_near_duplicate_supersedes_the_older_entry() -> None:
    memory = ReplyMemory(3)
    memory.add([_entry(0)], np.stack([_unit(1, 0, 0)]))
    memory.add([_entry(1, "agent_reply")], np.stack([_unit(1, 0.01, 0)]))
    assert len(memory) == 1
    assert [n.entry.ref_id for n in memory.search(_unit(1, 0, 0), k=5)] == ["r1"]


def test_within_a_batch_the_later_item_wins() -> None:
    memory = ReplyMemory(3)
    memory.add([_entry(0), _entry(1)], np.stack([_unit(0, 0, 1), _unit(0, 0.01, 1)]))
    assert [n.entry.ref_id for n in memory.search(_unit(0, 0, 1))] == ["r1"]


def test_seed_entries_can_keep_duplicates_and_memory_grows() -> None:
    memory = ReplyMemory(3)
    vectors = np.repeat(_unit(1, 0, 0)[None, :], 600, axis=0)
    memory.add([_entry(i) for i in range(600)], vectors, supersede=False)
    assert len(memory) == 600 and memory.total == 600
    assert len(memory.search(_unit(1, 0, 0), k=5)) == 5


def test_empty_memory_finds_nothing() -> None:
    assert ReplyMemory(3).search(_unit(1, 0, 0)) == []


def test_topic_bonus_ranks_the_triaged_topic_first_but_keeps_raw_similarity() -> None:
    memory = ReplyMemory(3)
    memory.add(
        [_entry(0, topic="refund"), _entry(1, topic="delivery")],
        np.stack([_unit(1, 0.2, 0), _unit(1, 0.6, 0)]),
    )
    query = _unit(1, 0, 0)
    plain = memory.search(query, k=2)
    assert [n.entry.ref_id for n in plain] == ["r0", "r1"]
    boosted = memory.search(query, k=2, topic_bonus={"delivery": 0.2, "refund": 0.01})
    assert [n.entry.ref_id for n in boosted] == ["r1", "r0"]
    # Evidence reports what the vectors say; the bonus only changes the order.
    assert boosted[0].similarity == plain[1].similarity
    assert abs(boosted[0].score - boosted[0].similarity - 0.2) < 1e-6
    assert abs(boosted[1].score - boosted[1].similarity - 0.01) < 1e-6
    # A topic nothing was filed under, or no bonus, leaves the order to similarity alone.
    assert [n.entry.ref_id for n in memory.search(query, 2, {"billing": 0.2})] == ["r0", "r1"]
    assert [n.entry.ref_id for n in memory.search(query, 2, {})] == ["r0", "r1"]


def test_topic_bonus_reaches_past_the_nearest_neighbours() -> None:
    memory = ReplyMemory(3)
    near = [_entry(n, topic="other") for n in range(10)]
    memory.add(near, np.repeat(_unit(1, 0.1, 0)[None, :], 10, axis=0), supersede=False)
    memory.add([_entry(99, topic="refund")], np.stack([_unit(1, 0.5, 0)]))
    found = memory.search(_unit(1, 0, 0), k=5, topic_bonus={"refund": 0.2})
    assert found[0].entry.ref_id == "r99"
