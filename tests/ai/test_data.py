from __future__ import annotations

import csv
from collections import Counter

from smartinbox.ai.corpus import DATA_DIR, KINDS, load_corpus

from .conftest import SEED_MESSAGES


def test_every_shipped_data_file_is_described_in_the_readme() -> None:
    readme = (DATA_DIR / "README.md").read_text()
    for path in DATA_DIR.rglob("*"):
        if path.is_file() and path.name != "README.md":
            assert path.name in readme, path.name


def test_handwritten_set_covers_every_kind_without_duplicates() -> None:
    with (DATA_DIR / "handwritten.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 300
    counts = Counter(r["kind"] for r in rows)
    assert set(counts) == set(KINDS) and min(counts.values()) >= 50
    texts = [r["text"].strip().lower() for r in rows]
    assert len(set(texts)) == len(texts)
    for r in rows:
        assert 0.0 <= float(r["urgency"]) <= 1.0 and -1.0 <= float(r["sentiment"]) <= 1.0


def test_the_seed_examples_are_not_in_the_training_data() -> None:
    # The product's five example messages are a test of generalisation, not of memory.
    texts = {row.text.strip().lower() for row in load_corpus()}
    for message in SEED_MESSAGES.values():
        assert message.lower() not in texts
