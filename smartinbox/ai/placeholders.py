"""Adapting a known reply to a new message: identifiers from the message, neutral words otherwise.

A reply in memory is a template. Values that belonged to the customer who first received it (their
order number, name, refund amount) are turned into placeholders when it is remembered, and
filled again from the new message when it is suggested. A placeholder the new message cannot
fill is rewritten to neutral wording ("your order"): a suggested reply must never show braces,
and must never carry a number the customer did not give us.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from smartinbox.ai.placeholder_kinds import (
    CANONICAL,
    classify_placeholder,
    fixed_phrase,
)

_ID = r"[A-Z0-9][A-Z0-9\-/]*"
_NUMBER_WORDS = r"(?:number|no\.?|nr\.?|num\.?|id|#|reference|ref\.?)"
_ORDER_RE = re.compile(
    rf"\b(?:order|purchase|pedido|commande|bestellung)\s*{_NUMBER_WORDS}?\s*(?:is\s+)?[:#]?\s*"
    rf"(?P<value>{_ID})",
    re.IGNORECASE,
)
_INVOICE_RE = re.compile(
    rf"\b(?:invoice|bill|factura|facture|rechnung)\s*{_NUMBER_WORDS}?\s*(?:is\s+)?[:#]?\s*"
    rf"(?P<value>{_ID})",
    re.IGNORECASE,
)
_TRACKING_RE = re.compile(
    r"\btracking\s*(?:number|no\.?|code|id)?\s*(?:is\s+)?[:#]?\s*(?P<value>[A-Z0-9]{8,})",
    re.IGNORECASE,
)
_HASH_RE = re.compile(r"(?<![\w&])#\s?(?P<value>[A-Z0-9]+(?:-[A-Z0-9]+)*)", re.IGNORECASE)
_AMOUNT_RE = re.compile(
    r"(?P<value>[$£€]\s?\d[\d,]*(?:\.\d{1,2})?"
    r"|\d[\d,]*(?:\.\d{1,2})?\s?(?:usd|eur|gbp|dollars|euros|pounds)\b)",
    re.IGNORECASE,
)
# {{Order Number}} (Bitext style) or {order_number} (single braces, common in macros).
PLACEHOLDER_RE = re.compile(
    r"\{\{\s*(?P<double>[^{}]+?)\s*\}\}|\{(?P<single>[A-Za-z][\w ]{0,40})\}"
)


def _looks_like_identifier(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    return len(value) >= 4 and digits >= 3


def extract_entities(text: str, account_types: Iterable[str] = ()) -> dict[str, str]:
    """Identifiers and amounts the customer wrote, by entity type (first occurrence wins)."""
    found: dict[str, str] = {}
    for kind, pattern in (
        ("invoice", _INVOICE_RE),
        ("order", _ORDER_RE),
        ("tracking", _TRACKING_RE),
    ):
        for match in pattern.finditer(text):
            value = match.group("value").strip("-/")
            if _looks_like_identifier(value) and value not in found.values():
                found.setdefault(kind, value)
    if "order" not in found:
        # A bare "#A-1234" is, in a shop's inbox, nearly always an order reference.
        for match in _HASH_RE.finditer(text):
            value = match.group("value")
            if _looks_like_identifier(value) and value not in found.values():
                found["order"] = value
                break
    amount = _AMOUNT_RE.search(text)
    if amount:
        found["amount"] = amount.group("value").strip()
    for account_type in account_types:
        # Only "Gold account" / "pro plan": a bare "free" or "standard" means something else.
        tier = rf"\b{re.escape(account_type)}\s+(?:account|plan|tier|membership|subscription)\b"
        if re.search(tier, text, re.IGNORECASE):
            found["account_type"] = account_type
            break
    return found


_IDENTIFIER_TOKEN = re.compile(
    r"(?<![\w-])(?=(?:[A-Z-]*\d){3})[A-Z0-9][A-Z0-9-]*(?![\w-])", re.IGNORECASE
)
_CURRENCY_WORDS = r"(?:\s?(?:usd|eur|gbp|dollars?|euros?|pounds?)\b)?"


def _value_pattern(kind: str, value: str) -> re.Pattern[str]:
    if kind == "amount":
        # "$350" in the reply and "350 dollars" in the message are the same amount.
        core = re.sub(r"[^\d.,]", "", value).strip(".,")
        return re.compile(
            rf"[$£€]?\s?(?<![\d.,]){re.escape(core)}(?:\.00)?(?![\d]){_CURRENCY_WORDS}",
            re.IGNORECASE,
        )
    flags = re.IGNORECASE if kind in ("account_type", "city", "country", "person") else 0
    return re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])", flags)


def templatize(reply: str, values: Mapping[str, str], source_message: str = "") -> str:
    """Replace a past customer's own values in a reply by typed placeholders.

    `values` are typed entities of the message the reply answered; any other identifier-like
    token that the reply copied from `source_message` becomes a generic reference placeholder,
    so no number from one customer's conversation can reach another customer.
    """
    # Some stored replies wrap a literal number in braces ("{{113542617735902}}").
    reply = re.sub(r"\{\{\s*([0-9A-F]{6,})\s*\}\}", r"\1", reply)
    # Longest values first, so that "12345" inside "A-12345" is not replaced on its own.
    for kind, value in sorted(values.items(), key=lambda kv: -len(kv[1])):
        if kind in CANONICAL and value and len(value) >= 2:
            placeholder = "{{" + CANONICAL[kind] + "}}"
            reply = _value_pattern(kind, value).sub(placeholder, reply)
    if source_message:
        copied = {m.group(0) for m in _IDENTIFIER_TOKEN.finditer(source_message)}
        reply = _IDENTIFIER_TOKEN.sub(
            lambda m: "{{Reference Number}}" if m.group(0) in copied else m.group(0), reply
        )
    return reply


@dataclass
class FilledReply:
    text: str
    filled: dict[str, str] = field(default_factory=dict)  # placeholder -> value from the message
    neutralised: list[str] = field(default_factory=list)  # placeholders rewritten to wording
    content_gaps: int = 0  # placeholders that stood for content we do not have


_DETERMINER_BEFORE = re.compile(
    r"\b(?:the|our|your|a|an)\s+(?:(?:specific|particular|exact|relevant|corresponding|respective|appropriate)\s+)?$",
    re.IGNORECASE,
)
_ARTICLE_AND_WORD = re.compile(
    r"\b(?:a|an|the)\s+(?!(?:specific|particular|exact|relevant|corresponding|respective|appropriate)\b)[a-z-]+\s+$",
    re.IGNORECASE,
)
# "from {{Start Time}} to {{End Time}}" with neither value known.
_HOURS_RANGE = re.compile(
    r"(?P<lead>\b(?:are|is)\s+)?(?:from\s+)?\{\{[^{}]*start time[^{}]*\}\}\s*(?:to|-|–|until|till)\s*"
    r"\{\{[^{}]*end time[^{}]*\}\}",
    re.IGNORECASE,
)
# "available {{Customer Support Hours}}": the neutral phrase needs a preposition.
_AVAILABLE_BEFORE = re.compile(r"\bavailable\s+$", re.IGNORECASE)
_ORDER_LEAD = re.compile(
    r"(?:\b(?:the|your|this|that)\s+)?(?:(?:specific|particular|exact|relevant|corresponding|respective|appropriate)\s+)?\b(?:order|purchase|item)"
    r"(?:\s+(?:with|bearing|labell?ed(?:\s+with)?|associated with)(?:\s+the)?)?"
    r"(?:\s+(?:number|no\.?|id|reference))?\s*:?\s*#?\s*$"
    # "... the ID {{Order Number}}", "the specific {{Order Number}}"
    r"|\b(?:the|a|an)\s+(?:(?:specific|particular|exact|relevant|corresponding|respective|appropriate)\s+)?(?:(?:number|no\.?|id|code|reference)\s+)?"
    r":?\s*#?\s*$",
    re.IGNORECASE,
)
_INVOICE_LEAD = re.compile(
    r"(?:\b(?:the|your|this|that)\s+)?(?:(?:specific|particular|exact|relevant|corresponding|respective|appropriate)\s+)?\b(?:invoice|bill)?"
    r"(?:\s+with)?(?:\s+the)?"
    r"\s*(?:number|no\.?|id|reference(?:\s+number)?)?\s*:?\s*#?\s*$",
    re.IGNORECASE,
)
# "with the number {{Reference Number}}": the article and noun go with the placeholder.
_NUMBER_LEAD = re.compile(
    r"\b(?:the|a|an)\s+(?:(?:specific|particular|exact|relevant|corresponding|respective|appropriate)\s+)?(?:(?:number|no\.?|id|code|reference)\s+)?"
    r":?\s*#?\s*$",
    re.IGNORECASE,
)
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|^\s*(?:[-*•]|\d+\.)\s+)$")
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d+\.)\s+(?P<label>[^:\n{}]*?)\s*:?\s*$")


def fill_placeholders(
    template: str, entities: Mapping[str, str], customer_name: str | None = None
) -> FilledReply:
    result = FilledReply(text="")
    values = dict(entities)
    if customer_name and customer_name.strip():
        values["name"] = customer_name.strip().split()[0]
    if "start_time" not in values and "end_time" not in values:
        template = _HOURS_RANGE.sub(
            lambda m: (
                "are our usual business hours" if m.group("lead") else "during our business hours"
            ),
            template,
        )
    lines = [_fill_line(line, values, result) for line in template.split("\n")]
    text = "\n".join(line for line in lines if line is not None)
    result.text = _tidy(text)
    return result


def _fill_line(line: str, values: Mapping[str, str], result: FilledReply) -> str | None:
    out: list[str] = []
    position = 0
    for match in PLACEHOLDER_RE.finditer(line):
        label = (match.group("double") or match.group("single") or "").replace("_", " ").strip()
        kind = classify_placeholder(label)
        before = "".join(out) + line[position : match.start()]
        if kind in values:
            result.filled[label] = values[kind]
            out = [before, values[kind]]
        else:
            if kind == "list_item" and _LIST_LINE.match(before):
                result.content_gaps += 1
                return None  # an enumerated example we cannot supply: drop the bullet
            result.neutralised.append(label)
            before, phrase = _neutral(kind, label, before)
            if phrase and _SENTENCE_START.search(before):
                phrase = phrase[0].upper() + phrase[1:]
            if kind in ("content", "list_item"):
                result.content_gaps += 1
            out = [before, phrase]
        position = match.end()
    out.append(line[position:])
    return "".join(out)


def _neutral(kind: str, label: str, before: str) -> tuple[str, str]:
    """The text before the placeholder (possibly trimmed) and the wording that replaces it."""
    if kind == "order":
        lead = _ORDER_LEAD.search(before)
        if lead and lead.group(0).strip():
            return before[: lead.start()], "your order"
        if before.lower().endswith("your "):
            return before[:-5], "your order number"
        return before, "your order"
    if kind in ("invoice", "tracking"):
        noun = "invoice" if kind == "invoice" else "tracking number"
        lead = _INVOICE_LEAD.search(before) if kind == "invoice" else _NUMBER_LEAD.search(before)
        if lead and lead.group(0).strip():
            return before[: lead.start()], f"your {noun}"
        return _drop_determiner(before), f"your {noun}"
    if kind == "reference":
        lead = _NUMBER_LEAD.search(before)
        if lead and lead.group(0).strip():
            return before[: lead.start()], "your reference number"
        return _drop_determiner(before), "your reference number"
    if kind == "name":
        if before.rstrip().lower().endswith("dear"):
            return before, "customer"
        return before.rstrip().rstrip(","), ""
    if kind == "list_item":
        return before, "other cases"
    phrase = fixed_phrase(kind, label)
    if (
        phrase.split(" ", 1)[0] in ("our", "your")
        and " " in phrase
        and _ARTICLE_AND_WORD.search(before)
    ):
        # "a dedicated {{Phone}}": the article already stands; "our" would dangle after it.
        return before, phrase.split(" ", 1)[1]
    if phrase.split(" ", 1)[0] in ("our", "your", "the", "a"):
        before = _drop_determiner(before)
    if kind == "hours" and _AVAILABLE_BEFORE.search(before):
        phrase = "during " + phrase
    return before, phrase


def _drop_determiner(before: str) -> str:
    match = _DETERMINER_BEFORE.search(before)
    return before[: match.start()] if match else before


_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.!?;:])")
_DOUBLE_COMMA = re.compile(r",\s*,")
_MULTI_SPACE = re.compile(r"[ \t]{2,}")
_EMPTY_LEAD = re.compile(r"(^|\n)[ \t]*[,;][ \t]*")


# The same phrase of two to five words twice in a row ("our website, our website"): two
# placeholders that both became the same neutral wording.
_REPEATED_PHRASE = re.compile(
    r"\b(?P<p>[A-Za-z']+(?:\s+[A-Za-z']+){1,4})(?:\s*(?:,|or|and|/)?\s+(?P=p)\b)+"
)


# One word twice in a row ("our website website"), a word that never repeats in good text.
_REPEATED_WORD = re.compile(r"\b(?P<w>(?!(?:very|had|that|really|bye)\b)[A-Za-z]{3,})\s+(?P=w)\b")


def _tidy(text: str) -> str:
    text = _REPEATED_PHRASE.sub(r"\g<p>", text)
    text = _REPEATED_WORD.sub(r"\g<w>", text)
    text = _DOUBLE_COMMA.sub(",", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _MULTI_SPACE.sub(" ", text)
    text = _EMPTY_LEAD.sub(r"\1", text)
    text = re.sub(r",([.!?])", r"\1", text)
    return text.strip()


def has_placeholders(text: str) -> bool:
    return PLACEHOLDER_RE.search(text) is not None
