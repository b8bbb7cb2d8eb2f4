"""Bring your own taxonomy: `smartinbox train triage` and `smartinbox eval triage` on a team's CSV."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartinbox.ai.artifacts import read_verified
from smartinbox.ai.embedder import MiniLMEmbedder
from smartinbox.ai.engine import MessageInput
from smartinbox.ai.team_training import train_team_head
from smartinbox.ai.training import load_local_engine
from smartinbox.cli import app

# A team whose topics are not the shipped ones.
TEAM = {
    "plugin-sync": [
        "The Shopify plugin stopped syncing my products",
        "Plugin sync to WooCommerce fails every night",
        "my catalogue does not sync through the plugin anymore",
        "Products missing after the plugin sync ran",
        "sync error in the plugin dashboard since yesterday",
        "The plugin shows sync failed for all items",
        "Why is the plugin not syncing stock levels?",
        "inventory sync via plugin is stuck",
    ],
    "vat-invoices": [
        "I need a VAT invoice for my company",
        "Please add our VAT number to the invoices",
        "The invoice is missing the VAT breakdown",
        "can you reissue the invoice with VAT details",
        "Our accountant needs VAT invoices for last quarter",
        "VAT number on invoice is wrong",
        "Where do I download VAT invoices?",
        "invoice without VAT id is not accepted by our tax office",
    ],
    "seat-licences": [
        "How do I add more seats to our licence?",
        "We need five extra user seats",
        "remove two seats from the team licence",
        "Can I transfer a seat licence to a new colleague?",
        "our licence seats are all used up",
        "What does an additional seat cost?",
        "reassign seat licence from a former employee",
        "upgrade licence to 20 seats please",
    ],
}
TEST = [
    ("the plugin isn't syncing my orders", "plugin-sync"),
    ("sync through the shopify plugin is broken", "plugin-sync"),
    ("please put our VAT ID on the invoice", "vat-invoices"),
    ("I need invoices with VAT for accounting", "vat-invoices"),
    ("add 3 seats to the licence", "seat-licences"),
    ("how many seats does our licence have left", "seat-licences"),
]


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["message text", "team label"])
        writer.writerows(rows)
    return path


def _train_rows() -> list[tuple[str, str]]:
    return [(text, label) for label, texts in TEAM.items() for text in texts]


def test_eval_triage_on_a_custom_csv(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.csv", _train_rows())
    test = _write(tmp_path / "test.csv", TEST)
    result = CliRunner().invoke(
        app,
        ["eval", "triage", "--train", str(train), "--test", str(test),
         "--text-col", "message text", "--label-col", "team label", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["n"] == 6 and report["labels_trained"] == 3
    # 24 rows are too few to compare regularisation strengths by cross-validation.
    assert report["regularisation"] == {
        "c": 4.0,
        "inputs": "combined",
        "chosen_on": "default: 24 rows are too few to compare strengths",
        "macro_f1_by_c": {},
    }
    correct = round(report["accuracy"] * 6)
    assert correct >= 5
    # Figures agree with each other: recalls are per-label accuracies over 2 rows each.
    hits = sum(round(v["recall"] * v["support"]) for v in report["labels"].values())
    assert hits == correct
    assert sum(b["n"] for b in report["calibration"]["bins"]) == 6
    assert report["throughput"]["messages_per_s"] > 0


def test_eval_triage_names_a_missing_column(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.csv", _train_rows())
    result = CliRunner().invoke(
        app, ["eval", "triage", "--train", str(train), "--test", str(train), "--text-col", "body"]
    )
    assert result.exit_code == 2
    assert "no column 'body'" in " ".join(result.output.split())


def test_team_head_replaces_the_shipped_topics(
    models_path: Path, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(models_path, models)
    before = load_local_engine(models, embedder=embedder)
    messages = [MessageInput(text) for text, _ in TEST]
    assert not {t.topic for t in before.analyze(messages)} & set(TEAM)

    rows = _train_rows()
    manifest = train_team_head(
        models, "topic", [t for t, _ in rows], [lbl for _, lbl in rows], embedder=embedder
    )
    assert manifest["custom_heads"]["topic"]["labels"] == sorted(TEAM)
    read_verified(models)  # every file, the new ones included, matches the manifest
    after = load_local_engine(models, embedder=embedder)
    assert after.version != before.version
    topics = [t.topic for t in after.analyze(messages)]
    assert sum(t == label for t, (_, label) in zip(topics, TEST, strict=True)) >= 5
    # Spam is still recognised, and its topic is still "other".
    spam = after.analyze([MessageInput("WIN a FREE iPhone!!! click www.prize-now.biz")])[0]
    assert spam.kind == "spam" and spam.topic == "other"


def test_labels_with_one_row_are_left_out_and_listed(
    models_path: Path, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    from smartinbox.ai.custom_heads import CustomHeadError

    models = tmp_path / "models"
    shutil.copytree(models_path, models)
    rows = [*_train_rows(), ("where is the reseller price list", "lonely")]
    manifest = train_team_head(
        models, "topic", [t for t, _ in rows], [lbl for _, lbl in rows], embedder=embedder
    )
    entry = manifest["custom_heads"]["topic"]
    assert entry["labels"] == sorted(TEAM) and entry["labels_left_out"] == {"lonely": 1}
    assert entry["rows"] == len(rows) - 1
    # With one learnable label left there is nothing to tell apart: the error names the rest.
    with pytest.raises(CustomHeadError, match="too few rows for: lonely"):
        train_team_head(models, "topic", ["a b", "a b c", "x y"], ["one", "one", "lonely"],
                        embedder=embedder)  # fmt: skip


def test_eval_triage_lists_the_labels_it_left_out(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.csv", [*_train_rows(), ("wholesale terms?", "lonely")])
    test = _write(tmp_path / "test.csv", TEST)
    args = ["eval", "triage", "--train", str(train), "--test", str(test),
            "--text-col", "message text", "--label-col", "team label"]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["labels_left_out"] == {"lonely": 1} and report["labels_trained"] == 3
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "left out, too few rows to learn (rows): lonely (1)" in " ".join(table.output.split())


def test_retraining_the_shipped_models_keeps_the_team_head(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    from smartinbox.ai.training import train_default_models

    models = tmp_path / "models"
    train_default_models(models, sample_per_stratum=8, embedder=embedder)
    rows = _train_rows()
    train_team_head(models, "topic", [t for t, _ in rows], [lbl for _, lbl in rows],
                    embedder=embedder)  # fmt: skip
    manifest = train_default_models(models, sample_per_stratum=8, embedder=embedder)
    assert "custom_topic.npz" in manifest["files"]
    assert manifest["custom_heads"]["topic"]["labels"] == sorted(TEAM)
    engine = load_local_engine(models, embedder=embedder)
    assert engine.analyze([MessageInput(TEST[2][0])])[0].topic == "vat-invoices"


def test_a_team_head_trained_on_other_features_gives_way_to_the_shipped_one(
    models_path: Path, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    from smartinbox.ai.artifacts import gzip_json_bytes, load_gzip_json, update_model_dir

    models = tmp_path / "models"
    shutil.copytree(models_path, models)
    rows = [(t, label) for label, texts in TEAM.items() for t in texts]
    train_team_head(
        models, "topic", [t for t, _ in rows], [lbl for _, lbl in rows], embedder=embedder
    )
    message = MessageInput("The Shopify plugin stopped syncing my products")
    assert load_local_engine(models, embedder=embedder).analyze([message])[0].topic == "plugin-sync"
    _manifest, files = read_verified(models)
    meta = load_gzip_json(files["custom_topic.json.gz"])
    del meta["features"]  # written by a release whose heads read only the sentence vector
    update_model_dir(models, {"custom_topic.json.gz": gzip_json_bytes(meta)}, {})
    # The stale head is set aside (with a warning), not fed features of the wrong shape.
    topic = load_local_engine(models, embedder=embedder).analyze([message])[0].topic
    assert topic not in TEAM


OFF_TOPIC = [
    "what is the weather like in lisbon tomorrow",
    "tell me a joke about cats",
    "who won the football match last night",
    "how many calories are in a banana",
    "recommend a good film for tonight",
    "what time is it in tokyo",
]


def test_eval_triage_chooses_the_out_of_scope_threshold_on_val(tmp_path: Path) -> None:
    rows = [*_train_rows(), *((t, "none") for t in OFF_TOPIC[:3])]
    val = [*TEST, *((t, "none") for t in OFF_TOPIC[3:])]
    test = [*TEST, ("what is the capital of peru", "none"), ("sing me a song", "none")]
    files = {n: _write(tmp_path / f"{n}.csv", r) for n, r in (("train", rows), ("val", val), ("test", test))}  # fmt: skip
    args = ["eval", "triage", "--train", str(files["train"]), "--test", str(files["test"]),
            "--text-col", "message text", "--label-col", "team label", "--json"]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "--val", str(files["val"]), "--oos-label", "none"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    chosen = report["oos_threshold_chosen"]
    threshold = chosen["threshold"]
    assert 0.0 <= threshold <= 0.95 and report["oos"]["threshold"] == threshold
    assert chosen["chosen_on"].endswith("training folds + --val")
    # The training rows' out-of-fold scores and the val rows both chose it.
    assert chosen["on_training_folds"]["rows"] == len(rows)
    assert chosen["on_val"]["rows"] == len(val)
    assert report["oos"]["label"] == "none" and report["oos"]["recall"] is not None
    assert report["oos"]["score"] == "confidence x nearest in-scope similarity"
    # The same threshold given by hand scores the test file the same way.
    by_hand = CliRunner().invoke(
        app, [*args, "--oos-label", "none", "--oos-threshold", str(threshold)]
    )
    assert json.loads(by_hand.output)["oos"] == report["oos"]
    table = CliRunner().invoke(app, [*args[:-1], "--val", str(files["val"]), "--oos-label", "none"])
    said = " ".join(table.output.split())
    assert (
        f"label 'none', or confidence x nearest in-scope similarity below {threshold} "
        f"chosen on {chosen['chosen_on']}" in said
    )
    assert said.count("│ --val │") == 1 and said.count("│ --test │") == 1
    assert said.count("│ training folds │") == 1
    assert "throughput: training " in said and " messages/s" in said and "{'" not in said


def test_the_out_of_scope_threshold_balances_recall_and_in_scope_accuracy() -> None:
    from smartinbox.ai.metrics import choose_oos_threshold

    truth = ["a", "a", "a", "a", "none", "none"]
    predicted = ["a", "a", "a", "b", "a", "a"]
    confidence = [0.9, 0.8, 0.3, 0.35, 0.4, 0.2]
    # Up to 0.20 no OOS row is caught (balance 0). From 0.21 to 0.80 the balance is 0.5: one
    # OOS row caught with 3/4 right, or both caught with the right row at 0.3 lost (2/4);
    # beyond, in-scope accuracy falls. The lowest cut-off with the best balance wins.
    assert choose_oos_threshold(truth, predicted, confidence, "none") == 0.21


def test_eval_triage_val_needs_an_out_of_scope_label(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.csv", _train_rows())
    result = CliRunner().invoke(
        app, ["eval", "triage", "--train", str(train), "--test", str(train), "--val", str(train),
              "--text-col", "message text", "--label-col", "team label"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "give --oos-label too" in result.output
    no_oos = CliRunner().invoke(
        app, ["eval", "triage", "--train", str(train), "--test", str(train), "--val", str(train),
              "--text-col", "message text", "--label-col", "team label", "--oos-label", "none"],
    )  # fmt: skip
    assert no_oos.exit_code == 2
    assert "no label 'none' with enough rows" in " ".join(no_oos.output.split())


def test_eval_triage_holds_out_a_fifth_of_each_label(tmp_path: Path) -> None:
    from smartinbox.ai.csv_eval import CsvColumnError, hold_out

    history = _write(tmp_path / "history.csv", [*_train_rows(), *TEST])  # 10 rows per label
    result = CliRunner().invoke(
        app, ["eval", "triage", "--train", str(history), "--text-col", "message text",
              "--label-col", "team label", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["n"] == 6 and report["train_rows"] == 24
    assert {label: row["support"] for label, row in report["labels"].items()} == dict.fromkeys(
        TEAM, 2
    )
    assert report["test_file"].startswith("a fifth of") and report["labels_left_out"] == {}
    # Every label keeps two rows for training: of two rows none is held out, of three one.
    train, test = hold_out([["a", "x"], ["b", "x"], ["c", "y"], ["d", "y"], ["e", "y"]], 1)
    assert [row[1] for row in test] == ["y"]
    assert sorted(row[1] for row in train) == ["x", "x", "y", "y"]
    with pytest.raises(CsvColumnError, match="give --test FILE"):
        hold_out([["a", "x"], ["b", "x"]], 1)


def test_the_teams_out_of_scope_label_marks_messages_out_of_scope(
    models_path: Path, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    from smartinbox.ai.custom_heads import (
        SCOPE_BOUND_Z,
        SCOPE_GRID,
        SCOPE_WITH_ANCHORS,
        CustomHeadError,
        out_of_fold_scope,
        train_custom_head,
    )
    from smartinbox.ai.metrics import choose_settled_threshold
    from smartinbox.feedback.team_heads import _store

    models = tmp_path / "models"
    shutil.copytree(models_path, models)
    rows = [*_train_rows(), *((t, "none") for t in OFF_TOPIC[:3])]
    val = [*TEST, *((t, "none") for t in OFF_TOPIC[3:])]
    texts, labels = [t for t, _ in rows], [lbl for _, lbl in rows]
    manifest = train_team_head(
        models, "topic", texts, labels, embedder=embedder, oos_label="none", val=val
    )
    entry = manifest["custom_heads"]["topic"]
    engine = load_local_engine(models, embedder=embedder)
    head = engine.triage_model.custom["topic"]
    # The stored head compares messages with its in-scope training messages.
    assert head.anchors is not None and head.anchors.shape == (len(_train_rows()), 384)
    assert entry["oos_score"] == SCOPE_WITH_ANCHORS
    # The threshold is the balance point of the training rows' out-of-fold scores and the
    # val rows' scores together (of lower bounds, settled in the middle of the cut-offs the
    # rows cannot tell apart: six out-of-scope rows vouch for little).
    # Three rows are also too few to learn a scope score from: the product is the score.
    vectors = embedder.features(texts)
    folds = out_of_fold_scope("topic", texts, labels, vectors, None, "none")
    assert sorted(folds.truth) == sorted(labels) and 2 <= folds.folds <= 5
    val_labels, _, val_scores = head.predict_scope(
        [t for t, _ in val], embedder.features([t for t, _ in val])
    )
    chosen = choose_settled_threshold(
        [*folds.truth, *(lbl for _, lbl in val)],
        [*folds.predicted, *val_labels],
        [*folds.scores, *val_scores],
        "none",
        grid=SCOPE_GRID,
        bound_z=SCOPE_BOUND_Z,
    )
    assert entry["oos_label"] == "none" and entry["oos_threshold"] == chosen == head.oos_threshold
    assert entry["oos_threshold_chosen"]["threshold"] == chosen

    off = engine.analyze([MessageInput("who won the tennis final in paris"), MessageInput("hi")])
    assert all(t.out_of_scope and t.topic == "other" for t in off)
    assert all(t.confidence["out_of_scope"] >= 0.5 for t in off)
    inside = engine.analyze([MessageInput(text) for text, _ in TEST])
    assert (
        sum(
            not t.out_of_scope and t.topic == label
            for t, (_, label) in zip(inside, TEST, strict=True)
        )
        >= 5
    )

    # A refit of the head from the inbox's labels keeps the team's out-of-scope label, its
    # threshold and its score, read against the refit's own training messages.
    refit = train_custom_head("topic", texts, labels, vectors)
    assert refit.oos_label is None
    stored = _store(models, {"topic": refit}, {"topic": (vectors, labels)})
    entry = stored["custom_heads"]["topic"]
    assert (entry["oos_label"], entry["oos_threshold"]) == ("none", chosen)
    assert entry["oos_score"] == SCOPE_WITH_ANCHORS
    assert refit.anchors is not None and len(refit.anchors) == len(_train_rows())

    with pytest.raises(CustomHeadError, match="no label 'nothing'"):
        train_team_head(models, "topic", texts, labels, embedder=embedder, oos_label="nothing")
    with pytest.raises(CustomHeadError, match="--field topic"):
        train_team_head(models, "kind", texts, labels, embedder=embedder, oos_label="none")


def test_train_triage_cli_takes_an_out_of_scope_label_and_val(
    models_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartinbox import config

    models = tmp_path / "models"
    shutil.copytree(models_path, models)
    monkeypatch.setenv("SMARTINBOX_MODELS_DIR", str(models))
    config.get_settings.cache_clear()
    data = _write(tmp_path / "history.csv", [*_train_rows(), *((t, "none") for t in OFF_TOPIC[:3])])
    val = _write(tmp_path / "val.csv", [*TEST, *((t, "none") for t in OFF_TOPIC[3:])])
    args = ["train", "triage", "--data", str(data), "--text-col", "message text",
            "--label-col", "team label", "--no-corrections", "--oos-label", "none"]  # fmt: skip
    try:
        trained = CliRunner().invoke(app, [*args, "--val", str(val)])
        entry = json.loads((models / "manifest.json").read_text())["custom_heads"]["topic"]
        by_hand = CliRunner().invoke(app, [*args, "--oos-threshold", "0.4"])
        by_hand_entry = json.loads((models / "manifest.json").read_text())["custom_heads"]["topic"]
        wrong_field = CliRunner().invoke(app, [*args, "--field", "kind"])
        no_label = CliRunner().invoke(app, [*args[:-2], "--oos-threshold", "0.4"])
    finally:
        config.get_settings.cache_clear()
    assert trained.exit_code == 0, trained.output
    said = " ".join(trained.output.split())
    assert (
        "out of scope: 'none', or any answer whose confidence x nearest in-scope similarity "
        f"is below {entry['oos_threshold']} (chosen on {entry['oos_threshold_chosen']['chosen_on']})"
        in said
    )
    assert "regularisation C = 4 (default: 27 rows are too few to compare strengths)" in said
    assert entry["regularisation"]["chosen_on"].startswith("default: 27 rows")
    assert by_hand.exit_code == 0 and by_hand_entry["oos_threshold"] == 0.4
    assert wrong_field.exit_code == 2 and "--field topic" in wrong_field.output
    assert no_label.exit_code == 2 and "needs --oos-label" in " ".join(no_label.output.split())


def test_the_scope_score_doubts_messages_unlike_the_teams_history(
    embedder: MiniLMEmbedder,
) -> None:
    from smartinbox.ai.custom_heads import (
        SCOPE_CONFIDENCE,
        CustomHead,
        describe,
        nearest_similarity,
        train_on_usable_rows,
    )

    rows = [*_train_rows(), *((t, "none") for t in OFF_TOPIC[:3])]
    trained = train_on_usable_rows(
        "topic", [t for t, _ in rows], [lbl for _, lbl in rows], embedder.features,
        oos_label="none",
    )  # fmt: skip
    head = trained.head
    # Without --val the training rows' out-of-fold scores alone choose the threshold.
    assert trained.scope["chosen_on"].endswith("training folds") and "on_val" not in trained.scope
    assert trained.scope["on_training_folds"]["rows"] == len(rows)
    texts = ["the shopify plugin does not sync products", "what is the capital of peru"]
    vectors = embedder.features(texts)
    nearest = nearest_similarity(vectors, head.anchors)
    assert nearest[0] > nearest[1] and all(0.0 <= s <= 1.0 for s in nearest)
    _, confidence, scope = head.predict_scope(texts, vectors)
    assert [round(float(s), 6) for s in scope] == [
        round(c * float(n), 6) for c, n in zip(confidence, nearest, strict=True)
    ]
    # A head stored before the scope score read anchors (none in its files) scores by
    # confidence alone, and says so.
    files = head.files()
    head.anchors = None
    old = CustomHead.from_files("topic", {**files, **head.files()})
    assert old.anchors is None and describe(old)["oos_score"] == SCOPE_CONFIDENCE
    assert list(old.scope(old.proba(texts, vectors), vectors)) == confidence
    again = CustomHead.from_files("topic", files)
    assert again.anchors is not None and again.anchors.shape == (len(_train_rows()), 384)


def test_the_scope_anchors_are_a_seeded_sample_of_in_scope_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    from smartinbox.ai import custom_heads

    monkeypatch.setattr(custom_heads, "MAX_ANCHORS", 4)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(10, 384 * 3)).astype(np.float32)
    labels = ["a", "b", "none", "a", "b", "none", "a", "b", "a", "b"]
    anchors = custom_heads.scope_anchors(vectors, labels, "none")
    assert anchors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(anchors, axis=1), 1.0, atol=1e-5)
    in_scope = custom_heads.unit_sentence_vectors(
        vectors[[i for i, lbl in enumerate(labels) if lbl != "none"]]
    )
    # Every anchor is one of the in-scope rows, never an out-of-scope one; reruns pick the same.
    assert all(np.isclose(in_scope @ row, 1.0, atol=1e-5).any() for row in anchors)
    assert np.array_equal(anchors, custom_heads.scope_anchors(vectors, labels, "none"))
