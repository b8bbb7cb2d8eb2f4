"""The labelled training corpus, assembled from the data files shipped in `smartinbox/ai/data`.

Each public set labels only part of what triage predicts, so every row says which heads it may
train (`heads`). Labels the sets do not carry are derived from what they do carry (see
docs/engine.md): Bitext's intent gives kind and topic, CLINC150's domain gives casual or
out-of-scope, the SMS set gives spam. Urgency and sentiment come from the hand-written rows,
plus weak priors by intent where a set has no such label.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"

KINDS = ("complaint", "question", "urgent", "casual", "spam")
HEADS = ("kind", "topic", "spam", "out_of_scope", "gibberish", "urgency", "sentiment")
ALL_HEADS = frozenset(HEADS)
# SMS chatter is neither a support topic nor labelled for tone; it trains these heads only.
SMS_HEADS = frozenset({"kind", "spam"})
# Real traffic (real_data.py's train split): real e-mail spam and ham, and real customer text,
# label kind and spam only; none of these sets carries urgency, sentiment or a support topic.
REAL_HEADS = frozenset({"kind", "spam"})

# Weak urgency / sentiment priors for Bitext intents that describe a problem, not a wish.
_PROBLEM_INTENTS = {
    "complaint": (0.5, -0.6),
    "payment_issue": (0.45, -0.35),
    "registration_problems": (0.4, -0.3),
    "track_refund": (0.35, -0.1),
    "recover_password": (0.4, -0.1),
}
_SMALL_TALK_SENTIMENT = {"thank_you": 0.7, "greeting": 0.3, "goodbye": 0.3, "fun_fact": 0.3}
# Bitext marks rows with offensive or angry wording with the tag letter W.
_ANGRY_TAG = "W"


@dataclass(frozen=True)
class Row:
    text: str
    source: str  # bitext | sms | clinc | handwritten | real
    kind: str
    topic: str
    urgency: float
    sentiment: float
    spam: int
    out_of_scope: int
    gibberish: int
    heads: frozenset[str]
    ref: str = ""  # position in the source file, e.g. "bitext:17"

    @property
    def stratum(self) -> str:
        return f"{self.source}:{self.kind}"


@dataclass(frozen=True)
class BitextRow:
    instruction: str
    intent: str
    category: str
    entity_type: str
    entity_value: str
    tags: str
    response: str


def read_csv(name: str) -> list[dict[str, str]]:
    path = DATA_DIR / name
    if name.endswith(".gz"):
        with gzip.open(path, "rb") as raw:
            text = raw.read().decode("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def bitext_rows() -> list[BitextRow]:
    return [BitextRow(**row) for row in read_csv("bitext_customer_support.csv.gz")]


def _bitext() -> Iterator[Row]:
    for n, row in enumerate(bitext_rows()):
        urgency, sentiment = _PROBLEM_INTENTS.get(row.intent, (0.25, 0.0))
        if _ANGRY_TAG in row.tags:
            sentiment -= 0.2
        kind = "complaint" if row.intent == "complaint" else "question"
        yield Row(
            row.instruction, "bitext", kind, row.category.lower(), urgency, sentiment, 0, 0, 0,
            ALL_HEADS, f"bitext:{n}",
        )  # fmt: skip


def _sms() -> Iterator[Row]:
    for row in read_csv("sms_spam_sample.csv.gz"):
        spam = row["label"] == "spam"
        # Private SMS chatter is casual talk; it teaches the spam head what "not spam" looks like
        # in the same short, informal register as SMS spam.
        kind = "spam" if spam else "casual"
        yield Row(row["text"], "sms", kind, "other", 0.05, 0.0, int(spam), 0, 0, SMS_HEADS)


def _clinc() -> Iterator[Row]:
    for row in read_csv("clinc150_sample.csv.gz"):
        if row["domain"] == "small_talk":
            sentiment = _SMALL_TALK_SENTIMENT.get(row["intent"], 0.1)
            yield Row(row["text"], "clinc", "casual", "other", 0.05, sentiment, 0, 0, 0, ALL_HEADS)
        else:
            # Requests outside customer support (CLINC's out-of-scope set and unrelated domains
            # such as travel or cooking).
            yield Row(row["text"], "clinc", "question", "other", 0.1, 0.0, 0, 1, 0, ALL_HEADS)


def _handwritten() -> Iterator[Row]:
    for row in read_csv("handwritten.csv"):
        gibberish = int(row["gibberish"])
        yield Row(
            row["text"], "handwritten", row["kind"], row["topic"], float(row["urgency"]),
            float(row["sentiment"]), int(row["kind"] == "spam"), gibberish, gibberish, ALL_HEADS,
        )  # fmt: skip


def _real() -> Iterator[Row]:
    for row in read_csv("real_traffic_sample.csv.gz"):
        spam = int(row["spam"])
        yield Row(
            row["text"], "real", row["kind"], "other", 0.25, 0.0, spam, 0, 0, REAL_HEADS,
            f"{row['dataset']}:{row['key']}",
        )  # fmt: skip


def load_corpus() -> list[Row]:
    return [*_bitext(), *_sms(), *_clinc(), *_handwritten(), *_real()]


def language_check_set() -> list[tuple[str, str]]:
    return [(row["text"], row["language"]) for row in read_csv("language_check.csv")]


def dataset_counts(rows: list[Row]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.source] = counts.get(row.source, 0) + 1
    return counts
