"""The labels a team may bring for each triage field, read into one canonical form.

* kind and topic: any name of 1 to `MAX_LABEL_CHARS` characters (the team's taxonomy).
* urgency: ordinal. Words (low, normal or medium, high, urgent or critical), priorities P1 to P5
  (P1 the most urgent) or numbers (the larger, the more urgent). One file uses one of the three.
* sentiment: negative, neutral, positive (also neg, pos) or numbers (the larger, the happier).
* spam: spam/ham, yes/no, 1/0, true/false (also "not spam"); stored as "1" and "0".

`read_labels` turns a column of raw labels into canonical labels and, for the scored fields, the
value each label stands for on the engine's scale (urgency 0 to 1, sentiment -1 to 1, spam 0 or
1): a head trained on them reports the expected value of its answer as the field's score, as the
shipped heads do. A label that cannot be read is refused with a message naming its row, and the
other rows are kept.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field

FIELDS = ("kind", "topic", "urgency", "sentiment", "spam")
SCORED_FIELDS = ("urgency", "sentiment", "spam")
# Label names of any reasonable length: the product names of a public complaints register run
# to about 80 characters. The inbox's label columns hold as many (migration 0010).
MAX_LABEL_CHARS = 200

URGENCY_WORDS = {
    "low": 0.2,
    "normal": 0.5,
    "medium": 0.5,
    "high": 0.8,
    "urgent": 0.95,
    "critical": 0.95,
}
# P1 is the most urgent; the scale matches the words (P1 critical, P2 high, P3 medium, P4 low).
PRIORITIES = {"P1": 0.95, "P2": 0.8, "P3": 0.5, "P4": 0.2, "P5": 0.05}
SENTIMENT_WORDS = {"negative": -1.0, "neg": -1.0, "neutral": 0.0, "positive": 1.0, "pos": 1.0}
SPAM_WORDS = {
    "spam": "1",
    "yes": "1",
    "y": "1",
    "1": "1",
    "true": "1",
    "ham": "0",
    "not spam": "0",
    "no": "0",
    "n": "0",
    "0": "0",
    "false": "0",
}
# Numbers are spread over this part of the urgency scale (smallest to largest).
URGENCY_NUMBER_RANGE = (0.05, 0.95)
_PRIORITY = re.compile(r"^p\s*([1-5])$", re.IGNORECASE)


class LabelError(ValueError):
    """A label the field cannot read."""


@dataclass
class FieldLabels:
    """Canonical labels of the rows kept, their positions in the input, and the rows refused."""

    field: str
    labels: list[str] = dc_field(default_factory=list)
    kept: list[int] = dc_field(default_factory=list)
    # Scored fields: each canonical label's value on the engine's scale.
    values: dict[str, float] = dc_field(default_factory=dict)
    # (position in the input, message naming the row) of each refused label.
    refused: list[tuple[int, str]] = dc_field(default_factory=list)

    def refused_messages(self) -> list[str]:
        return [message for _, message in self.refused]


def check_field(field_name: str) -> str:
    if field_name not in FIELDS:
        raise LabelError(f"field must be one of {', '.join(FIELDS)}, not {field_name!r}")
    return field_name


def read_labels(
    field_name: str, labels: Sequence[str], row_names: Sequence[str] | None = None
) -> FieldLabels:
    """Read `labels` (one per row) for `field_name`. `row_names` name the rows in messages
    (for a file, "row 12"); by default the 1-based position."""
    check_field(field_name)
    names = (
        list(row_names) if row_names is not None else [f"row {i + 1}" for i in range(len(labels))]
    )
    out = FieldLabels(field_name)
    parsed: list[tuple[int, str, str, float | None]] = []  # (position, scheme, label, value)
    for i, raw in enumerate(labels):
        try:
            parsed.append((i, *_parse(field_name, raw)))
        except LabelError as exc:
            out.refused.append((i, f"{names[i]}: {exc}"))
    if field_name == "urgency" or field_name == "sentiment":
        parsed = _one_scheme(field_name, parsed, names, out)
        numbers = [v for _, scheme, _, v in parsed if scheme == "number" and v is not None]
        scale = _number_scale(field_name, numbers)
        for _i, scheme, label, value in parsed:
            assert value is not None
            out.values[label] = scale(value) if scheme == "number" else value
    elif field_name == "spam":
        out.values = {label: float(label) for _, _, label, _ in parsed}
    out.kept = [i for i, _, _, _ in parsed]
    out.labels = [label for _, _, label, _ in parsed]
    return out


def read_one(field_name: str, raw: str) -> tuple[str, float | None]:
    """One label (an agent's correction): (canonical label, value on the engine's scale).

    Numbers are refused for urgency (their scale is the team's file's, not the engine's); a
    sentiment number must lie in -1 to 1."""
    check_field(field_name)
    scheme, label, value = _parse(field_name, raw)
    if field_name == "urgency" and scheme == "number":
        raise LabelError("use low, medium, high, critical or P1 to P5")
    if field_name == "sentiment" and scheme == "number" and value is not None and abs(value) > 1:
        raise LabelError("a sentiment number must lie between -1 and 1")
    if field_name == "spam":
        value = float(label)
    return label, value


def _parse(field_name: str, raw: str) -> tuple[str, str, float | None]:
    """(scheme, canonical label, value) of one label; LabelError when unreadable."""
    text = " ".join(str(raw).split())
    if not text:
        raise LabelError(f"empty {field_name} label")
    if field_name in ("kind", "topic"):
        if len(text) > MAX_LABEL_CHARS:
            raise LabelError(
                f"{field_name} label of {len(text)} characters; at most {MAX_LABEL_CHARS}"
            )
        return "name", text, None
    folded = text.casefold()
    if field_name == "spam":
        if folded in SPAM_WORDS:
            return "spam", SPAM_WORDS[folded], None
        raise LabelError(f"spam label {_show(text)} is not spam/ham, yes/no, 1/0 or true/false")
    number = _number(text)
    if field_name == "urgency":
        if folded in URGENCY_WORDS:
            return "word", folded, URGENCY_WORDS[folded]
        match = _PRIORITY.match(text)
        if match:
            label = f"P{match.group(1)}"
            return "priority", label, PRIORITIES[label]
        if number is not None:
            return "number", f"{number:g}", number
        raise LabelError(
            f"urgency label {_show(text)} is not low/medium/high/critical, P1-P5 or a number"
        )
    if folded in SENTIMENT_WORDS:
        canonical = {"neg": "negative", "pos": "positive"}.get(folded, folded)
        return "word", canonical, SENTIMENT_WORDS[folded]
    if number is not None:
        return "number", f"{number:g}", number
    raise LabelError(f"sentiment label {_show(text)} is not negative/neutral/positive or a number")


def _one_scheme(
    field_name: str,
    parsed: list[tuple[int, str, str, float | None]],
    names: Sequence[str],
    out: FieldLabels,
) -> list[tuple[int, str, str, float | None]]:
    """The rows written in the file's most common scheme; the others are refused."""
    schemes = Counter(scheme for _, scheme, _, _ in parsed)
    if len(schemes) < 2:
        return parsed
    main = schemes.most_common(1)[0][0]
    described = {"word": "words", "priority": "P1-P5 priorities", "number": "numbers"}
    kept = []
    for row in parsed:
        if row[1] == main:
            kept.append(row)
        else:
            out.refused.append(
                (
                    row[0],
                    f"{names[row[0]]}: {field_name} label {_show(row[2])} mixes scales; "
                    f"this file's {field_name} labels are {described[main]}",
                )
            )
    out.refused.sort()
    return kept


def _number_scale(field_name: str, numbers: Sequence[float]) -> _Scale:
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    if field_name == "sentiment" and low >= -1.0 and high <= 1.0:
        return _Scale(0.0, 1.0, 0.0, 1.0)
    target = URGENCY_NUMBER_RANGE if field_name == "urgency" else (-1.0, 1.0)
    return _Scale(low, high, *target)


@dataclass(frozen=True)
class _Scale:
    low: float
    high: float
    to_low: float
    to_high: float

    def __call__(self, value: float) -> float:
        if (self.low, self.high, self.to_low, self.to_high) == (0.0, 1.0, 0.0, 1.0):
            return round(value, 4)
        if self.high == self.low:
            return round((self.to_low + self.to_high) / 2, 4)
        share = (value - self.low) / (self.high - self.low)
        return round(self.to_low + share * (self.to_high - self.to_low), 4)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")
