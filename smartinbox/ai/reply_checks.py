"""Checks a suggested reply must pass before an agent sees it.

Two families:

* grammar of a filled template: no brace left over, no doubled phrase ("our website, our
  website"), no article or adjective dangling before a possessive ("the specific your order"),
  no phrase repeated inside one sentence ("from the start of our business hours to the end of
  our business hours"), no question for a value the customer already gave (an order number
  in the message and "could you share your order number?" in the reply);
* leaks: a number, e-mail address or greeted name in the reply that appears in neither the
  customer's message (or the conversation so far) nor the team's approved text.

`grammar_problems` and `leaked_values` return what they found (empty when the reply is fine),
so a benchmark can count failures and a test can show them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial

from smartinbox.ai.placeholders import extract_entities

_BRACE = re.compile(r"[{}]")
# The same one-to-five word phrase twice in a row, optionally with a comma between.
_DOUBLED = re.compile(r"\b(?P<p>[a-z']+(?:\s+[a-z']+){0,4})\s*,?\s+(?P=p)\b", re.IGNORECASE)
# Words that may legitimately repeat ("very very", "had had").
_REPEATABLE = {"very", "had", "that", "so", "bye", "no", "really"}
# An article, at most one modifier, then a possessive: "the specific your order", "a dedicated
# our support line", "the ID your order". (A noun in between can be right: "tell the person
# your name", so only modifiers count.)
_DANGLING = re.compile(
    r"\b(?P<det>the|a|an)\s+(?:(?:specific|particular|exact|relevant|dedicated|respective|"
    r"corresponding|appropriate|selected|number|no\.?|id|code|reference)\s+)?"
    r"(?P<pos>(?-i:your|our|my|their|his|her))\b",
    re.IGNORECASE,
)
_MISSING_PREPOSITION = re.compile(r"\bavailable\s+(?:our|your)\b", re.IGNORECASE)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?:])\s+|\n+")
_WORD = re.compile(r"[a-z']+", re.IGNORECASE)
_REPEAT_NGRAM = 4
_STOP_NGRAM = {
    "a", "an", "the", "to", "of", "and", "or", "in", "on", "for", "is", "it", "be", "if", "you",
    "your", "our", "we", "i", "me", "us", "have", "has", "any", "can", "will", "please", "with",
    "this", "that", "are", "do", "not", "at", "by", "as", "so", "my", "where", "when", "which",
}  # fmt: skip
_REQUEST = (
    r"(?:please|kindly|could you|can you|would you|may i (?:have|ask)|i (?:will |would )?need)"
    r"\s+(?:[a-z']+\s+){0,3}?(?:provide|share|confirm|send|give|tell|let (?:me|us) know)\b"
    r"[^.?!\n]{0,40}?\b"
)
_ASKS_FOR = {
    kind: re.compile(
        rf"{_REQUEST}{noun}\s*(?:number|id|no\b|code|reference)"
        rf"|\bwhat\s+is\s+your\s+{noun}\s*(?:number|id|code)",
        re.IGNORECASE,
    )
    for kind, noun in (("order", "order"), ("invoice", "invoice"), ("tracking", "tracking"))
}


def grammar_problems(reply: str, message: str = "") -> list[str]:
    """What is wrong with the wording of `reply` as an answer to `message` (empty: nothing)."""
    problems: list[str] = []
    if _BRACE.search(reply):
        problems.append("brace")
    for match in _DOUBLED.finditer(reply):
        phrase = match.group("p").lower()
        # One word twice is a slip only without a comma between ("the the", not "for you, you").
        single = phrase not in _REPEATABLE and len(phrase) > 1 and "," not in match.group(0)
        if " " in phrase or single:
            problems.append(f"doubled phrase: {match.group(0)!r}")
            break
    for match in _DANGLING.finditer(reply):
        problems.append(f"dangling article: {match.group(0)!r}")
        break
    missing = _MISSING_PREPOSITION.search(reply)
    if missing:
        problems.append(f"missing preposition: {missing.group(0)!r}")
    for sentence in _SENTENCE_SPLIT.split(reply):
        repeated = _repeated_ngram(sentence)
        if repeated:
            problems.append(f"phrase repeated in one sentence: {repeated!r}")
            break
    if message:
        for kind in given_values(message):
            if _ASKS_FOR[kind].search(reply):
                problems.append(f"asks for the {kind} number the message gives")
    return problems


def given_values(message: str) -> dict[str, str]:
    """Identifiers the customer already gave (order, invoice, tracking)."""
    found = extract_entities(message)
    return {k: v for k, v in found.items() if k in _ASKS_FOR}


def _repeated_ngram(sentence: str) -> str | None:
    words = [w.lower() for w in _WORD.findall(sentence)]
    seen: set[tuple[str, ...]] = set()
    for i in range(len(words) - _REPEAT_NGRAM + 1):
        gram = tuple(words[i : i + _REPEAT_NGRAM])
        if sum(w not in _STOP_NGRAM for w in gram) < 2:
            continue
        if gram in seen:
            return " ".join(gram)
        seen.add(gram)
    return None


_NUMBER = re.compile(r"(?<![\w.])\d(?:[\d,./:-]*\d)?(?![\w])")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_GREETED = re.compile(
    r"\b(?i:hi|hello|dear|hey|thanks|thank you),?\s+(?P<name>[A-Z][a-z]{1,20})\b"
    r"|\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+(?P<title>[A-Z][a-z]{1,20})\b"
)
# Words after a greeting that are not names ("Hi there", "Dear Customer").
_NOT_NAMES = {
    "there", "customer", "team", "all", "everyone", "sir", "madam", "again", "for", "so",
    "very", "valued", "user", "friend", "support",
}  # fmt: skip


def reply_values(text: str) -> set[str]:
    """The numbers, e-mail addresses and greeted names in `text`, as the leak check sees them."""
    values = {m.group(0) for m in _EMAIL.finditer(text)}
    without_emails = _EMAIL.sub(" ", text)
    values |= {
        m.group(0) for m in _NUMBER.finditer(without_emails) if not _list_number(without_emails, m)
    }
    for match in _GREETED.finditer(without_emails):
        name = match.group("name") or match.group("title")
        if name and name.lower() not in _NOT_NAMES:
            values.add(name)
    return values


def leaked_values(reply: str, sources: Iterable[str], approved: Iterable[str] = ()) -> list[str]:
    """Values in `reply` found in none of `sources` (the message, the conversation so far)
    and not among `approved` (the team's own text: opening hours, its phone number)."""
    allowed = set(approved)
    seen_text = "\n".join(sources)
    leaks = []
    for value in sorted(reply_values(reply)):
        if value in allowed or _contains(seen_text, value):
            continue
        leaks.append(value)
    return leaks


def _list_number(text: str, match: re.Match[str]) -> bool:
    """ "1. Log in" or "2) Open": numbering at the start of a line, not customer data."""
    start, end = match.span()
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip() and text[end : end + 1] in (".", ")")


def _contains(text: str, value: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(value)}(?![\w])", text) is not None


def asks_for_given_value(reply: str, context: str) -> bool:
    """Whether `reply` asks for an order, invoice or tracking number that `context` (the
    message and the conversation so far) already gives."""
    return any(
        pattern.search(reply)
        for kind, pattern in _ASKS_FOR.items()
        if kind in given_values(context)
    )


_SENTENCE = re.compile(r"[^.!?\n]*[.!?]?[ \t]*")
_ALSO_ASKED = re.compile(
    r"\b(?:your|the)\s+(?:specific\s+)?(?P<noun>order|invoice|tracking)\s*(?:number|id|code)"
    r"\s*(?:and|,)\s+",
    re.IGNORECASE,
)


def without_requests_for_given(reply: str, context: str) -> str:
    """`reply` without its requests for an identifier `context` already gives: "your order
    number and the new address" loses the order number; a sentence that asked only for it is
    left out."""
    given = given_values(context)
    if not given:
        return reply
    lines = []
    for line in reply.split("\n"):
        kept = []
        for sentence in _SENTENCE.findall(line):
            asks = [k for k in given if _ASKS_FOR[k].search(sentence)]
            if not asks:
                kept.append(sentence)
                continue
            trimmed = _ALSO_ASKED.sub(partial(_unless_asked, asks=asks), sentence)
            if not any(_ASKS_FOR[k].search(trimmed) for k in asks):
                kept.append(trimmed)
        text = "".join(kept).strip()
        if text or not line.strip():
            lines.append(text)
    return "\n".join(lines).strip()


def _unless_asked(match: re.Match[str], asks: list[str]) -> str:
    return "" if match.group("noun").lower() in asks else match.group(0)
