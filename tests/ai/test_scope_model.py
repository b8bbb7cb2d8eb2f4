"""The learned scope score and the threshold rule that weighs how many rows measured each figure."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from smartinbox.ai.custom_heads import (
    SCOPE_LEARNED,
    SCOPE_MODEL_MIN_ROWS,
    SCOPE_SIGNALS,
    CustomHead,
    ScopeModel,
    Scored,
    describe,
    learn_scope,
    train_custom_head,
)
from smartinbox.ai.embedder import MiniLMEmbedder
from smartinbox.ai.engine import MessageInput
from smartinbox.ai.metrics import (
    balance_curve,
    choose_oos_threshold,
    choose_settled_threshold,
    oos_balance,
    wilson_lower_bound,
)
from smartinbox.ai.team_training import train_team_head
from smartinbox.ai.training import load_local_engine
from smartinbox.feedback.team_heads import _store
from tests.ai.test_team_taxonomy import OFF_TOPIC, TEAM

MORE_OFF_TOPIC = [
    "what is the capital of peru",
    "sing me a song about the sea",
    "how tall is the eiffel tower",
    "give me a recipe for pancakes",
    "translate good morning into italian",
    "when does the next train to leeds leave",
    "how do I change a flat tyre on my bike",
    "what is the square root of 144",
    "who painted the mona lisa",
    "set an alarm for seven tomorrow",
    "is it going to snow this weekend",
    "what's a good name for a goldfish",
    "how long do I boil an egg",
    "play some relaxing jazz",
    "how far away is the moon",
    "what year did the berlin wall fall",
    "recommend a book about dinosaurs",
    "how do you say thank you in japanese",
    "what are the rules of chess",
    "find me a cheap flight to rome",
]


def test_the_wilson_lower_bound_is_the_textbook_one() -> None:
    # 50 of 100 at 1.96 standard errors: the Wilson interval starts at 0.4038.
    assert wilson_lower_bound(0.5, 100, 1.96) == pytest.approx(0.4038, abs=1e-4)
    assert wilson_lower_bound(0.96, 200, 1.0) < wilson_lower_bound(0.96, 20_000, 1.0) < 0.96
    assert wilson_lower_bound(1.0, 200, 1.0) < 1.0 and wilson_lower_bound(0.7, 0, 1.0) == 0.0


def test_bounds_move_the_threshold_toward_recall_when_out_of_scope_rows_are_few() -> None:
    # 1,000 in-scope rows answered right with scores from 0.3 to 1, and 20 out-of-scope rows
    # from 0.05 to 0.6: the plain balance point trusts a recall measured on 20 rows as much as
    # an accuracy measured on 1,000; the bounded one asks more of the recall.
    truth = ["a"] * 1000 + ["none"] * 20
    predicted = ["a"] * 1020
    scores = [*np.linspace(0.3, 1.0, 1000), *np.linspace(0.05, 0.6, 20)]
    grid = [step / 400 for step in range(381)]
    plain = choose_oos_threshold(truth, predicted, scores, "none", grid=grid)
    bounded = choose_settled_threshold(truth, predicted, scores, "none", grid=grid, bound_z=1.0)
    assert bounded > plain
    plain_recall, plain_accuracy = oos_balance(truth, predicted, scores, "none", plain)
    bounded_recall, bounded_accuracy = oos_balance(truth, predicted, scores, "none", bounded)
    assert bounded_recall > plain_recall and bounded_accuracy < plain_accuracy
    curve = balance_curve(truth, predicted, scores, "none", grid, bound_z=1.0)
    assert max(curve) < max(balance_curve(truth, predicted, scores, "none", grid))


def test_the_settled_threshold_is_the_middle_of_cut_offs_the_rows_cannot_tell_apart() -> None:
    # 100 out-of-scope rows: 95 score below 0.2 and 5 above 0.9, so every cut-off from 0.2 to
    # 0.9 catches the same 95; 2,000 in-scope rows answered right score from 0.1 to 1. The best
    # balance is at the low end of that range, where accuracy is highest; the rows say nothing
    # about where between 0.2 and 0.9 a new kind of request would score.
    rng = np.random.default_rng(0)
    outside = [*rng.uniform(0.0, 0.2, 95), *rng.uniform(0.9, 1.0, 5)]
    inside = list(np.linspace(0.1, 1.0, 2000))
    truth, predicted = ["a"] * 2000 + ["none"] * 100, ["a"] * 2100
    scores = [*inside, *outside]
    grid = [step / 400 for step in range(381)]
    plain = choose_oos_threshold(truth, predicted, scores, "none", grid=grid)
    settled = choose_settled_threshold(truth, predicted, scores, "none", grid=grid)
    curve = np.array(balance_curve(truth, predicted, scores, "none", grid, bound_z=1.0))
    tolerance = np.sqrt(curve.max() * (1 - curve.max()) / 100)
    close = [cut for cut, b in zip(grid, curve, strict=True) if b >= curve.max() - tolerance]
    assert plain <= 0.2 < settled and settled == close[len(close) // 2]
    assert min(close) < settled < max(close)
    # It is still a cut-off the rows rate close to the best.
    assert curve[grid.index(settled)] >= curve.max() - tolerance


def _synthetic_folds(outside: int, inside: int, wrong: int) -> Scored:
    """Signals where out-of-scope rows are less confident and less similar than in-scope ones."""
    rng = np.random.default_rng(3)

    def rows(n: int, confidence: float, similarity: float) -> np.ndarray:
        conf = np.clip(rng.normal(confidence, 0.1, n), 0.01, 1.0)
        near = np.clip(rng.normal(similarity, 0.08, n), 0.01, 1.0)
        return np.column_stack(
            [conf, near, 1 - conf, conf / 2, 1 - conf, np.log(conf), np.log(near)]
        )

    signals = np.vstack([rows(outside, 0.35, 0.45), rows(inside, 0.8, 0.8), rows(wrong, 0.5, 0.6)])
    truth = ["none"] * outside + ["a"] * inside + ["a"] * wrong
    predicted = ["b"] * outside + ["a"] * inside + ["b"] * wrong
    return Scored(truth, predicted, [0.0] * len(truth), 5, signals.astype(np.float32))


def test_a_scope_model_needs_enough_rows_of_each_kind() -> None:
    assert learn_scope(_synthetic_folds(SCOPE_MODEL_MIN_ROWS - 1, 200, 10), "none") is None
    assert learn_scope(_synthetic_folds(40, SCOPE_MODEL_MIN_ROWS - 1, 10), "none") is None
    assert learn_scope(Scored(["none", "a"], ["a", "a"], [0.1, 0.9], 2), "none") is None


def test_the_scope_model_learns_from_out_of_fold_rows_and_scores_each_without_itself() -> None:
    folds = _synthetic_folds(60, 300, 30)
    learned = learn_scope(folds, "none")
    assert learned is not None
    model, cross_fitted = learned
    # Wrong answers are left out of the fit: no threshold turns them into right ones.
    assert model.rows == {"out_of_scope": 60, "in_scope_answered_right": 300}
    scores = np.array(cross_fitted)
    assert len(scores) == 390 and ((scores >= 0) & (scores <= 1)).all()
    assert scores[60:360].mean() > 0.8 > 0.2 > scores[:60].mean()
    # The rows' own scores come from models fitted without them, not from the final model.
    assert folds.signals is not None
    assert not np.allclose(scores, model.score(folds.signals))
    assert model.coef[1] > 0  # more similar to the team's messages: more likely in scope
    assert ScopeModel.from_description(model.describe()) == model
    other = {**model.describe(), "signals": ["confidence"]}
    assert ScopeModel.from_description(other) is None and ScopeModel.from_description(None) is None


def _history() -> list[tuple[str, str]]:
    rows = [(text, label) for label, texts in TEAM.items() for text in texts]
    greeted = [(f"Hi there, {text[0].lower()}{text[1:]}", label) for text, label in rows]
    return [*rows, *greeted, *((t, "none") for t in [*OFF_TOPIC, *MORE_OFF_TOPIC])]


def test_a_team_with_enough_out_of_scope_history_gets_a_learned_scope_score(
    models_path: Path, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(models_path, models)
    rows = _history()
    texts, labels = [t for t, _ in rows], [lbl for _, lbl in rows]
    manifest = train_team_head(models, "topic", texts, labels, embedder=embedder, oos_label="none")
    entry = manifest["custom_heads"]["topic"]
    assert entry["oos_score"] == SCOPE_LEARNED
    assert entry["oos_threshold_chosen"]["score"] == SCOPE_LEARNED
    assert entry["scope_model"]["signals"] == list(SCOPE_SIGNALS)
    assert entry["scope_model"]["rows"]["out_of_scope"] == len(OFF_TOPIC) + len(MORE_OFF_TOPIC)
    engine = load_local_engine(models, embedder=embedder)
    head = engine.triage_model.custom["topic"]
    assert head.scope_model is not None and head.anchors is not None

    probe = ["the shopify plugin does not sync products", "who won the tennis final in paris"]
    vectors = embedder.features(probe)
    proba = head.proba(probe, vectors)
    scope = head.scope(proba, vectors)
    assert np.allclose(scope, head.scope_model.score(head.signals(proba, vectors)))
    assert scope[0] > scope[1]
    inside, outside = engine.analyze([MessageInput(text) for text in probe])
    assert inside.topic == "plugin-sync" and not inside.out_of_scope
    assert outside.out_of_scope and outside.topic == "other"

    # The files keep the model; a refit from the inbox's labels keeps it with the threshold.
    stored = CustomHead.from_files("topic", head.files())
    assert stored.scope_model == head.scope_model
    all_vectors = embedder.features(texts)
    refit = train_custom_head("topic", texts, labels, all_vectors, c=4.0)
    kept = _store(models, {"topic": refit}, {"topic": (all_vectors, labels)})["custom_heads"]
    assert kept["topic"]["oos_score"] == SCOPE_LEARNED
    assert kept["topic"]["oos_threshold"] == entry["oos_threshold"]
    assert refit.scope_model == ScopeModel.from_description(entry["scope_model"])
    assert describe(refit)["scope_model"] == entry["scope_model"]


def test_a_stored_scope_model_reading_other_signals_gives_way_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from smartinbox.ai.custom_heads import _stored_scope_model

    learned = learn_scope(_synthetic_folds(40, 200, 10), "none")
    assert learned is not None
    stored = learned[0].describe()
    with caplog.at_level("WARNING", logger="smartinbox.ai.custom_heads"):
        assert _stored_scope_model(stored) == learned[0]
        assert not caplog.records
        assert _stored_scope_model({**stored, "signals": ["confidence"]}) is None
    assert "until the head is trained again" in caplog.text
    assert _stored_scope_model(None) is None
