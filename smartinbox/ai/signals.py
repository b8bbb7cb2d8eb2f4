"""Plain-text signals that the triage decision rules read beside the learned heads.

- `is_customer`: the message talks about the writer's own order, account, payment, booking...
  Such a message is a customer until strongly proven otherwise: it is only called spam when the
  spam score clears a much higher cut-off (`triage.CUSTOMER_SPAM_CUTOFF`).
- `urgency_reasons`: why a message is urgent (an outage, money lost, a deadline, a repeated
  contact, a legal threat). Each reason found raises the urgency the heads gave, and the reasons
  go out with the triage so that an agent sees why.
- the spam cut-off mapping: the spam score is reported on a scale where 0.5 is the decision
  cut-off, whatever cut-off was chosen for precision (the inbox snoozes at 0.5).
"""

from __future__ import annotations

import re

_OWN = r"\b(?:my|our|mine)\s+(?:[\w'-]+\s+){0,2}?"
_THINGS = (
    r"(?:orders?|account|payments?|booking|reservation|refund|delivery|package|parcel|"
    r"subscription|invoice|bill|card|flight|ticket|loan|mortgage|purchase|item|return|"
    r"shipment|credit report|transaction)\b"
)
# The same in German, French, Spanish and Portuguese ("meine Bestellung", "ma commande"...).
_OWN_OTHER = (
    r"\b(?:meine[mnrs]?|unsere[mnrs]?|ma|mon|mes|notre|nos|mi|mis|nuestr[oa]s?|minhas?|meus?)"
    r"\s+(?:[\w'-]+\s+){0,2}?(?:bestellung|lieferung|rechnung|konto|zahlung|buchung|paket|"
    r"commande|livraison|facture|compte|paiement|réservation|colis|pedido|entrega|factura|"
    r"cuenta|pago|reserva|paquete|encomenda|fatura|conta|pagamento)\b"
)
_CUSTOMER = re.compile(
    _OWN + _THINGS
    + "|" + _OWN_OTHER
    + r"|\b(?:order|bestellung|commande|pedido|encomenda)\s*"
    + r"(?:#|no\.?|nr\.?|n[°º]|number|nummer|numéro|número|id)?\s*[:#]?\s*#?\s*[A-Z0-9-]*\d"
    + r"|\b(?:I|we)\s+(?:ordered|paid|booked|bought|purchased|was charged|were charged)\b",
    re.IGNORECASE,
)  # fmt: skip

URGENCY_SIGNALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "outage",
        re.compile(
            r"\b(?:outage|(?:is|are|was|were|been|went) down|down since|not working|isn'?t working|stopped working|"
            r"doesn'?t work|can(?:no|')t (?:log ?in|sign in|access)|crash(?:ed|es|ing)|"
            r"offline|data loss|lost (?:all )?(?:my|our) data)\b",
            re.I,
        ),
    ),
    (
        "money lost",
        re.compile(
            r"\b(?:charged (?:me )?(?:twice|double|again|two times|three times)|double[- ]charged|"
            r"overcharged|unauthori[sz]ed (?:charges?|transactions?|withdrawals?|payments?)|"
            r"fraud(?:ulent)?|stolen|scammed|lost (?:my |our )?money|took (?:my|our) money|"
            r"(?:never|still not|haven'?t) (?:received|got(?:ten)?) (?:my |our |a |the )?"
            r"(?:refund|money)|money back)\b",
            re.I,
        ),
    ),
    (
        "deadline",
        re.compile(
            r"\b(?:asap|as soon as possible|urgent(?:ly)?|immediately|right now|deadline|"
            r"by (?:today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|"
            r"the end of (?:the )?day|eod)|within \d+ (?:hours?|days?)|"
            r"before (?:my|our) (?:flight|trip|exam|exams|wedding|event|deadline)|"
            r"(?:fix|solve|resolve|sort|need|deliver|ship|refund)\w*\s+(?:[\w']+\s+){0,2}?"
            r"(?:today|tonight|tomorrow))\b",
            re.I,
        ),
    ),
    (
        "repeated contact",
        re.compile(
            r"\b(?:(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time|"
            r"(?:several|multiple|many|numerous|countless) (?:times|calls|emails|e-mails)|"
            r"(?:called|emailed|e-mailed|contacted|written to|wrote to)\s+(?:you|your \w+|them)?"
            r"\s*(?:twice|again|repeatedly|\d+ times)|"
            r"(?:no one|nobody) (?:has )?(?:responded|replied|answered|called back)|"
            r"no (?:response|reply|answer) (?:yet|from)|still (?:no|not|haven'?t|hasn'?t|waiting)|"
            r"(?:happened|broke|failed|cancell?ed|delayed|late) again)\b",
            re.I,
        ),
    ),
    (
        "legal threat",
        re.compile(
            r"\b(?:lawyer|attorney|legal action|sue you|suing|lawsuit|small claims|"
            r"chargeback|better business bureau|consumer protection|ombudsman|"
            r"report (?:you|this) to)\b",
            re.I,
        ),
    ),
)
NEGATIVE_SENTIMENT = -0.35
NEGATIVE_REASON = "negative sentiment"
# Each reason raises urgency to at least BASE + STEP × reasons (at most CAP).
URGENCY_BASE, URGENCY_STEP, URGENCY_CAP = 0.45, 0.15, 0.95


def is_customer(text: str) -> bool:
    return bool(_CUSTOMER.search(text))


def urgency_reasons(text: str, sentiment: float) -> list[str]:
    reasons = [name for name, pattern in URGENCY_SIGNALS if pattern.search(text)]
    if sentiment <= NEGATIVE_SENTIMENT:
        reasons.append(NEGATIVE_REASON)
    return reasons


def raised_urgency(urgency: float, reasons: list[str]) -> float:
    if not reasons:
        return urgency
    return max(urgency, min(URGENCY_CAP, URGENCY_BASE + URGENCY_STEP * len(reasons)))


def spam_on_scale(raw: float, cutoff: float) -> float:
    """`raw` mapped so that `cutoff` becomes 0.5 (piecewise linear, order kept)."""
    if raw < cutoff:
        return 0.5 * raw / cutoff
    return 0.5 + 0.5 * (raw - cutoff) / max(1.0 - cutoff, 1e-9)


def spam_from_scale(shown: float, cutoff: float) -> float:
    """The inverse of `spam_on_scale`."""
    if shown < 0.5:
        return shown * 2 * cutoff
    return cutoff + (shown - 0.5) * 2 * (1.0 - cutoff)
