"""What a reply placeholder stands for, and the neutral wording used when it cannot be filled.

Replies written for many shops name things each shop words differently ("{{Website Name}}",
"{{Customer Support Hours}}") or values that belong to one customer ("{{Order Number}}"). The
first kind becomes a neutral phrase; the second is filled from the message or becomes one.
"""

from __future__ import annotations

import re

# Placeholder names used when a remembered reply is turned into a template.
CANONICAL = {
    "order": "Order Number",
    "invoice": "Invoice Number",
    "tracking": "Tracking Number",
    "amount": "Refund Amount",
    "name": "Customer Name",
    "person": "Person Named",
    "account_type": "Account Type",
    "city": "Delivery City",
    "country": "Delivery Country",
}

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        # Order before the contact rules: "Order Number" is an identifier, not a phone number.
        ("identifier", r"^[0-9A-F]{6,}$|^\d+$"),
        ("invoice", r"\b(?:invoice|bill)\s*(?:number|id|no)\b"),
        ("tracking", r"\btracking\s*(?:number|id|code)\b"),
        ("order", r"\b(?:order|purchase)\s*(?:number|id|no)\b"),
        ("reference", r"\breference\s*number\b"),
        ("amount", r"\b(?:refund\s*)?amount\b"),
        ("account_type", r"\baccount\s*type\b"),
        ("city", r"\b(?:delivery\s*)?city\b"),
        ("country", r"\b(?:delivery\s*)?country\b"),
        ("start_time", r"\bstart\s*time\b"),
        ("end_time", r"\bend\s*time\b"),
        ("phone_or_email", r"\bemail or phone\b|\bcontact information\b"),
        ("phone", r"\bphone\b"),
        ("email", r"\bemail\b"),
        ("hours", r"\bhours\b|\bavailability\b|\bresponse time\b"),
        ("app", r"\bapp name\b|\bmobile app\b"),
        ("website", r"\bwebsite\b|\burl\b"),
        ("company", r"\bcompany name\b"),
        ("chat", r"\blive chat\b|^chat$"),
        ("person", r"^person named$"),
        ("name", r"^(?:client|customer)?\s*(?:first|last|full)?\s*name(?: field)?$"),
        ("list_item", r"^(?:case|situation|review website|example)\s*\d+$"),
        ("days", r"\bnumber of days\b"),
        ("percentage", r"\bpercentage\b"),
        ("timeframe", r"\btime\s*frame\b|\btimeframe\b|\bprocessing time\b|\bperiod\b"),
        ("eta", r"^eta$|\btime of arrival\b"),
        ("purchase_date", r"\bpurchase date\b"),
        ("payment_method", r"\bpayment method\b"),
    )
)

_PHRASES = {
    "person": "the account holder",
    "city": "your city",
    "country": "your country",
    "amount": "the amount concerned",
    "account_type": "the selected",
    "start_time": "the start of our business hours",
    "end_time": "the end of our business hours",
    "phone_or_email": "our support contact details",
    "phone": "our support phone line",
    "email": "our support email address",
    "hours": "our support hours",
    "app": "our app",
    "website": "our website",
    "company": "our company",
    "chat": "live chat",
    "days": "a set number of",
    "percentage": "full or partial",
    "timeframe": "the usual processing time",
    "eta": "the estimated delivery date",
    "purchase_date": "the date of purchase",
    "payment_method": "the payment method used",
}


def classify_placeholder(label: str) -> str:
    """The kind of value a placeholder stands for ("order", "phone", "ui", "content"...)."""
    cleaned = re.sub(r"\banonymi[sz]ed\b", "", label, flags=re.IGNORECASE).strip()
    for kind, pattern in _RULES:
        if pattern.search(cleaned):
            return "order" if kind == "identifier" else kind
    if cleaned and cleaned[0].islower() and " " in cleaned:
        # Lower-case phrases ("list of circumstances where ...") are gaps for content, not names.
        return "content"
    return "ui"


def fixed_phrase(kind: str, label: str) -> str:
    if kind in _PHRASES:
        return _PHRASES[kind]
    if kind == "content":
        return "the details on our website"
    # A screen or button name ("{{Order History}}") reads naturally without the braces.
    return re.sub(r"\s*\banonymi[sz]ed\b", "", label, flags=re.IGNORECASE).strip()
