"""The regularisation strength of a team's head, chosen by cross-validation on its own rows."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from smartinbox.ai import custom_heads
from smartinbox.ai.custom_heads import (
    REGULARISATION_C,
    CustomHead,
    Regularisation,
    choose_regularisation,
    describe,
    train_custom_head,
)
from smartinbox.cli import app

WORDS = {
    "billing": ["invoice", "charge", "refund", "payment", "receipt"],
    "shipping": ["parcel", "courier", "delivery", "tracking", "package"],
    "login": ["password", "sign-in", "account", "locked", "reset"],
}


def _rows(per_label: int = 20) -> tuple[list[str], list[str], np.ndarray]:
    rng = np.random.default_rng(3)
    texts, labels = [], []
    for label, words in WORDS.items():
        for n in range(per_label):
            picked = rng.choice(words, 2, replace=False)
            texts.append(f"hello, question {n} about my {picked[0]} and the {picked[1]}")
            labels.append(label)
    # Feature vectors near one centre per label, as sentence vectors of one topic lie.
    centres = {label: rng.normal(size=384 * 3) for label in WORDS}
    noise = rng.normal(scale=0.5, size=(len(texts), 384 * 3))
    vectors = (np.array([centres[label] for label in labels]) + noise).astype(np.float32)
    return texts, labels, vectors


def _one_reliable_feature() -> tuple[list[str], list[str], np.ndarray]:
    """Two labels the wording cannot tell apart; feature 0 differs a lot between them but is
    noisy, feature 1 differs little but reliably. A heavily regularised head leans on the
    first (the larger difference); a lightly regularised one learns to read the second."""
    rng = np.random.default_rng(5)
    labels = ["yes", "no"] * 30
    texts = [f"hello, question {n // 2} about my account" for n in range(60)]
    sign = np.array([1.0 if label == "yes" else -1.0 for label in labels])
    vectors = np.zeros((60, 384 * 3), dtype=np.float32)
    vectors[:, 0] = sign + rng.normal(scale=4.0, size=60)
    vectors[:, 1] = 0.5 * sign + rng.normal(scale=0.05, size=60)
    return texts, labels, vectors


# The strength alone compared, on the combined features.
ONE = ("combined",)


def test_the_strength_with_the_best_held_out_macro_f1_wins() -> None:
    texts, labels, vectors = _one_reliable_feature()
    chosen = choose_regularisation(texts, labels, vectors, grid=(4.0, 1e-4), inputs=ONE)
    assert chosen.c == 4.0, chosen
    assert chosen.chosen_on == f"{custom_heads.SELECTION_FOLDS}-fold cross-validation on 60 rows"
    assert set(chosen.macro_f1) == {"0.0001", "4"}
    assert chosen.macro_f1["4"] > chosen.macro_f1["0.0001"] + 0.2
    # The same rows choose the same strength again (seeded folds).
    assert choose_regularisation(texts, labels, vectors, grid=(4.0, 1e-4), inputs=ONE) == chosen


def test_a_tie_goes_to_the_stronger_regularisation() -> None:
    texts, labels, vectors = _rows()
    chosen = choose_regularisation(texts, labels, vectors, grid=(64.0, 64.000001), inputs=ONE)
    assert len(set(chosen.macro_f1.values())) == 1 and chosen.c == 64.0


def test_too_few_rows_keep_the_default_and_say_why() -> None:
    texts, labels, vectors = _rows(per_label=5)
    chosen = choose_regularisation(texts, labels, vectors)
    assert chosen.c == REGULARISATION_C and chosen.macro_f1 == {}
    assert chosen.chosen_on == "default: 15 rows are too few to compare strengths"


def test_a_large_history_is_compared_on_a_sample_keeping_each_labels_share() -> None:
    labels = ["big"] * 900 + ["mid"] * 90 + ["rare"] * 3
    rows = custom_heads._proportional_sample(labels, 100)
    assert rows == sorted(set(rows)) and rows == custom_heads._proportional_sample(labels, 100)
    counts = Counter(labels[i] for i in rows)
    # 100 of 993 rows: each label keeps its share, and even the rarest keeps two rows.
    assert counts == {"big": 91, "mid": 9, "rare": 2}
    assert custom_heads._proportional_sample(labels[:50], 100) == list(range(50))


def test_the_chosen_strength_is_stored_with_the_head_and_described() -> None:
    texts, labels, vectors = _rows()
    head = train_custom_head("topic", texts, labels, vectors)
    assert head.regularisation.chosen_on.endswith("cross-validation on 60 rows")
    assert head.regularisation.c in custom_heads.C_GRID
    best = max(head.regularisation.macro_f1.values())
    chosen = head.regularisation
    assert chosen.inputs in custom_heads.INPUTS
    assert chosen.macro_f1[f"{chosen.inputs} {chosen.c:g}"] == best
    assert len(chosen.macro_f1) == len(custom_heads.INPUTS) * len(custom_heads.C_GRID)
    loaded = CustomHead.from_files("topic", head.files())
    assert loaded.regularisation == head.regularisation
    assert describe(loaded)["regularisation"]["c"] == head.regularisation.c

    given = train_custom_head("topic", texts, labels, vectors, c=0.5)
    assert given.regularisation == Regularisation(0.5, "given")
    # A head stored before the strength was chosen per team used the default.
    assert Regularisation.from_description(None) == Regularisation(REGULARISATION_C, "default")


def test_eval_triage_prints_the_strength_and_each_candidates_score(tmp_path: Path) -> None:
    texts, labels, _ = _rows(per_label=12)
    data = tmp_path / "history.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("text", "label"), *zip(texts, labels, strict=True)])
    args = ["eval", "triage", "--train", str(data), "--test", str(data)]
    shown = CliRunner().invoke(app, args)
    as_json = CliRunner().invoke(app, [*args, "--json"])
    assert shown.exit_code == 0 and as_json.exit_code == 0, shown.output
    chosen = json.loads(as_json.output)["regularisation"]
    assert chosen["chosen_on"] == "3-fold cross-validation on 36 rows"
    scores = ", ".join(
        f"{key.replace(' ', ' C ')}: {f1}" for key, f1 in chosen["macro_f1_by_c"].items()
    )
    said = " ".join(shown.output.split())
    assert f"regularisation C = {chosen['c']:g} (3-fold cross-validation on 36 rows; " in said
    assert f"held-out macro-F1 {scores})" in said and "sentence C 64:" in scores
