"""Every triage field learnable from a team's labels: urgency, sentiment and spam as well as
kind and topic, long label names, and rows whose label cannot be read."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartinbox import config
from smartinbox.ai.artifacts import read_manifest
from smartinbox.ai.embedder import MiniLMEmbedder
from smartinbox.ai.engine import MessageInput
from smartinbox.ai.field_labels import read_labels, read_one
from smartinbox.ai.team_training import train_team_head
from smartinbox.ai.training import load_local_engine
from smartinbox.cli import app

URGENCY = {
    "P1": [
        "Our whole shop is down, no customer can pay, fix this now",
        "Payment outage: every checkout fails since ten minutes",
        "I was charged three times, the money is gone, I need it back today",
        "The site is completely down and we are losing sales every minute",
        "Someone logged into my account and changed the password, orders are being placed",
        "The app crashes for all our users, production is broken",
        "URGENT my account was hacked and someone is spending my balance",
        "all orders are failing to sync and the shipping deadline is in one hour",
        "Emergency: the payment page shows another customer's card details",
        "Checkout is broken for everyone right now, please call me",
    ],
    "P2": [
        "My order is late by a week and I need it for Friday",
        "The refund has not arrived after 14 days",
        "I was charged twice for one order",
        "The package is marked delivered but it never arrived",
        "The wrong item was delivered, I need the right one before the weekend",
        "I cannot log in since yesterday, please help",
        "The invoice amount is wrong and payment is due tomorrow",
        "My subscription renewed although I cancelled it",
        "The parcel is damaged and the contents are broken",
        "I still have not received my replacement after two weeks",
    ],
    "P3": [
        "How do I change my delivery address?",
        "Can I update the e-mail on my account?",
        "What are your opening hours on Sunday?",
        "How do I download my invoices?",
        "Is there a size guide for the shoes?",
        "Can I change the colour of my order?",
        "How long does shipping to Canada take?",
        "Do you ship to Norway?",
        "Which payment methods do you accept?",
        "Can I pick up my order in a store?",
    ],
    "P4": [
        "Just a suggestion: a dark mode would be nice",
        "Thanks for the great service last week!",
        "Love the new design of the website",
        "A feature idea for someday: export to PDF",
        "No rush, but the footer has a typo",
        "Keep up the good work, team",
        "It would be cool to have more colours next year",
        "A small idea for the future: gift wrapping",
        "Just wanted to say the support chat was lovely",
        "Maybe one day you could add a wishlist",
    ],
}
# Held out: the urgent ones are P1/P2, the calm ones P3/P4.
URGENT_NEW = "Nobody can pay on our store, checkout is down for all customers"
CALM_NEW = "An idea for later: a newsletter with recipes would be nice"


def _write(path: Path, header: list[str], rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _urgency_rows() -> list[tuple[str, str]]:
    return [(text, label) for label, texts in URGENCY.items() for text in texts]


def _said(output: str) -> str:
    return " ".join(output.split())


def test_urgency_labels_are_read_in_words_priorities_or_numbers() -> None:
    words = read_labels("urgency", ["Low", "medium", "HIGH", "critical", "urgent"])
    assert words.labels == ["low", "medium", "high", "critical", "urgent"]
    assert words.values["low"] < words.values["medium"] < words.values["high"]
    assert words.values["high"] < words.values["critical"] == words.values["urgent"]
    priorities = read_labels("urgency", ["p1", "P2", "P 3", "P4"])
    assert priorities.labels == ["P1", "P2", "P3", "P4"]
    # P1 is the most urgent; P2 sits where "high" does.
    assert priorities.values["P1"] > priorities.values["P2"] > priorities.values["P3"]
    assert priorities.values["P2"] == words.values["high"]
    numbers = read_labels("urgency", ["1", "2.0", "3", "5"])
    assert numbers.labels == ["1", "2", "3", "5"]
    assert numbers.values["1"] < numbers.values["2"] < numbers.values["5"]
    assert not (words.refused or priorities.refused or numbers.refused)


def test_a_label_on_another_scale_or_unknown_is_refused_by_row() -> None:
    read = read_labels(
        "urgency", ["P1", "P2", "high", "P3", "soon"], [f"row {n}" for n in range(2, 7)]
    )
    assert read.labels == ["P1", "P2", "P3"] and read.kept == [0, 1, 3]
    messages = read.refused_messages()
    assert len(messages) == 2
    assert messages[0].startswith("row 4: urgency label 'high' mixes scales")
    assert messages[1].startswith("row 6: urgency label 'soon' is not")


def test_sentiment_and_spam_labels() -> None:
    sentiment = read_labels("sentiment", ["negative", "Neutral", "pos"])
    assert sentiment.labels == ["negative", "neutral", "positive"]
    assert sentiment.values == {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
    stars = read_labels("sentiment", ["1", "3", "5"])  # star ratings: spread over -1 to 1
    assert stars.values == {"1": -1.0, "3": 0.0, "5": 1.0}
    spam = read_labels("spam", ["spam", "ham", "Yes", "no", "1", "0", "TRUE", "false", "not spam"])
    assert spam.labels == ["1", "0", "1", "0", "1", "0", "1", "0", "0"]
    assert spam.values == {"1": 1.0, "0": 0.0}
    assert read_labels("spam", ["maybe"]).refused_messages() == [
        "row 1: spam label 'maybe' is not spam/ham, yes/no, 1/0 or true/false"
    ]
    assert read_one("urgency", "p2") == ("P2", 0.8)
    with pytest.raises(ValueError, match="low, medium, high, critical or P1 to P5"):
        read_one("urgency", "3")


def test_a_200_character_label_is_kept_and_a_5000_character_one_is_a_row_error() -> None:
    long_name = "Credit reporting, credit repair services, or other personal consumer reports " * 3
    long_name = long_name.strip()[:200]
    read = read_labels("topic", [long_name, "x" * 5000, "billing"], ["row 1", "row 2", "row 3"])
    assert read.labels == [long_name, "billing"]
    assert read.refused_messages() == ["row 2: topic label of 5000 characters; at most 200"]


def test_eval_triage_urgency_from_p1_to_p4_prints_auc_and_rank_correlation(
    tmp_path: Path,
) -> None:
    train = _write(tmp_path / "tickets.csv", ["text", "priority"], _urgency_rows())
    args = ["eval", "triage", "--train", str(train), "--label-col", "priority",
            "--field", "urgency"]  # fmt: skip
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0, shown.output
    said = _said(shown.output)
    assert "Spearman rank correlation" in said and "ROC AUC high vs rest" in said
    assert "label >= P1 vs below" in said

    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["field"] == "urgency" and report["n"] == 8  # a fifth of each label held out
    ordinal = report["ordinal"]
    assert set(ordinal["roc_auc_by_cut"]) == {">= P3", ">= P2", ">= P1"}
    # The held-out tickets are ranked far better than chance by the learnt urgency.
    assert ordinal["roc_auc_high_vs_rest"] >= 0.8 and ordinal["spearman"] >= 0.6
    assert ordinal["roc_auc_high_vs_rest"] == ordinal["roc_auc_by_cut"][">= P2"]


def test_eval_triage_refuses_an_unknown_field(tmp_path: Path) -> None:
    train = _write(tmp_path / "tickets.csv", ["text", "label"], _urgency_rows())
    result = CliRunner().invoke(app, ["eval", "triage", "--train", str(train), "--field", "mood"])
    assert result.exit_code == 2
    assert "field must be one of kind, topic, urgency, sentiment, spam" in _said(result.output)


@pytest.fixture
def team_models(models_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped models, the live folder of the CLI."""
    models = tmp_path / "models"
    shutil.copytree(models_path, models)
    monkeypatch.setenv("SMARTINBOX_MODELS_DIR", str(models))
    monkeypatch.setenv("SMARTINBOX_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    config.get_settings.cache_clear()
    yield models
    config.get_settings.cache_clear()


def test_train_triage_urgency_and_triage_uses_it(
    team_models: Path, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    rows = _urgency_rows()
    # One label too long to be a label, one unknown: named by row, the rest trains.
    rows.insert(3, ("please look at this", "P" * 5000))
    rows.insert(7, ("and this one", "whenever"))
    data = _write(tmp_path / "tickets.csv", ["text", "priority"], rows)
    args = ["train", "triage", "--data", str(data), "--label-col", "priority"]
    result = CliRunner().invoke(app, [*args, "--field", "urgency", "--no-corrections"])
    assert result.exit_code == 0, result.output
    said = _said(result.output)
    assert "2 rows left out, their label cannot be read" in said
    assert "row 4: urgency label 'PPPP" in said and "row 8: urgency label 'whenever'" in said
    assert "urgency head trained on 40 rows, 4 labels" in said
    head = read_manifest(team_models)["custom_heads"]["urgency"]
    assert head["labels"] == ["P1", "P2", "P3", "P4"] and head["rows_refused_count"] == 2

    engine = load_local_engine(team_models, embedder=embedder)
    urgent, calm = engine.analyze([MessageInput(URGENT_NEW), MessageInput(CALM_NEW)])
    assert urgent.urgency >= 0.8 > 0.4 >= calm.urgency


def test_sentiment_and_spam_heads_train_and_triage_reads_them(
    models_path: Path, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(models_path, models)
    texts = [t for label in ("P1", "P2", "P4") for t in URGENCY[label]]
    # The team calls its angry tickets negative and the compliments positive.
    moods = ["negative"] * 20 + ["positive"] * 10
    train_team_head(models, "sentiment", texts, moods, embedder=embedder)
    # This team's "spam" is its own noise: feature ideas and compliments (said as yes/no).
    flags = ["no"] * 20 + ["yes"] * 10
    manifest = train_team_head(models, "spam", texts, flags, embedder=embedder)
    assert manifest["custom_heads"]["spam"]["labels"] == ["0", "1"]
    assert manifest["custom_heads"]["sentiment"]["labels"] == ["negative", "positive"]

    engine = load_local_engine(models, embedder=embedder)
    angry, idea = engine.analyze([MessageInput(URGENT_NEW), MessageInput(CALM_NEW)])
    assert angry.sentiment < 0 < idea.sentiment
    assert angry.spam < 0.5 < idea.spam


def test_a_200_character_topic_round_trips(
    models_path: Path, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(models_path, models)
    long_name = ("Credit reporting, credit repair services, or other personal consumer reports; "
                 "disputes about information on a report; identity theft; ") * 2  # fmt: skip
    long_name = long_name[:200]
    assert len(long_name) == 200
    texts = [t for label in ("P1", "P3") for t in URGENCY[label]]
    labels = [long_name] * 10 + ["questions"] * 10
    manifest = train_team_head(models, "topic", texts, labels, embedder=embedder)
    assert long_name in manifest["custom_heads"]["topic"]["labels"]
    engine = load_local_engine(models, embedder=embedder)
    topic = engine.analyze([MessageInput(URGENT_NEW)])[0].topic
    assert topic == long_name


def test_eval_triage_sentiment_in_stars_and_spam_in_yes_no(tmp_path: Path) -> None:
    angry = [(t, "1") for t in URGENCY["P1"] + URGENCY["P2"]]
    happy = [(t, "5") for t in URGENCY["P4"]]
    stars = _write(tmp_path / "stars.csv", ["text", "stars"], angry + happy)
    result = CliRunner().invoke(
        app, ["eval", "triage", "--train", str(stars), "--label-col", "stars",
              "--field", "sentiment", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ordinal = json.loads(result.output)["ordinal"]
    assert set(ordinal["roc_auc_by_cut"]) == {">= 5"}
    assert ordinal["roc_auc_negative_vs_rest"] == ordinal["roc_auc_by_cut"][">= 5"]
    assert ordinal["roc_auc_negative_vs_rest"] >= 0.8

    flags = [(t, "no") for t in URGENCY["P1"] + URGENCY["P3"]] + [(t, "yes") for t in URGENCY["P4"]]
    spam = _write(tmp_path / "spam.csv", ["text", "is_spam"], flags)
    result = CliRunner().invoke(
        app, ["eval", "triage", "--train", str(spam), "--label-col", "is_spam",
              "--field", "spam", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["labels"]) == {"0", "1"} and report["spam_score"]["n"] == report["n"]
    assert report["spam_score"]["roc_auc"] >= 0.8


def test_a_head_on_the_sentence_vector_is_stored_and_answers_the_same(
    embedder: MiniLMEmbedder,
) -> None:
    from smartinbox.ai.custom_heads import CustomHead, train_custom_head

    rows = _urgency_rows()
    texts, labels = [t for t, _ in rows], [lbl for _, lbl in rows]
    vectors = embedder.features(texts)
    head = train_custom_head("urgency", texts, labels, vectors, c=4.0, inputs="sentence")
    assert head.head.coef.shape[1] == vectors.shape[1] // 3  # the sentence vector alone
    loaded = CustomHead.from_files("urgency", head.files())
    assert loaded.regularisation.inputs == "sentence"
    assert loaded.head.centres == {"P1": 0.95, "P2": 0.8, "P3": 0.5, "P4": 0.2}
    assert (loaded.proba(texts, vectors) == head.proba(texts, vectors)).all()
