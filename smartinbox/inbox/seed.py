"""`smartinbox seed`: demo messages through the real ingest path, so analysis runs as usual.

The fixed set covers every kind; `--count N` adds generated messages with realistic
variety (customers, order numbers, topics) spread over past weeks with a working-day and
office-hours rhythm. External ids are deterministic, so a re-run inserts nothing twice.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from smartinbox.inbox.schemas import CustomerIn, MessageIn
from smartinbox.inbox.seed_data import SEED_MESSAGES
from smartinbox.kit.timeutil import utcnow

FIRST = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elif",
    "Femi",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Liam",
    "Mina",
    "Nils",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xenia",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Meyer",
    "Garcia",
    "Okafor",
    "Tanaka",
    "Novak",
    "Dubois",
    "Jensen",
    "Rossi",
    "Kowalski",
    "Silva",
    "Ahmed",
    "Müller",
    "Brown",
    "Ivanova",
    "Costa",
    "Nguyen",
]
PRODUCTS = [
    "blender",
    "running shoes",
    "desk lamp",
    "winter jacket",
    "headphones",
    "coffee grinder",
    "phone case",
    "yoga mat",
    "backpack",
    "smart watch",
]

TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "complaint": [
        (
            "Refund still missing",
            "I sent back the {product} two weeks ago (order {order}) and still no refund. Not acceptable.",
        ),
        (
            "Payment problem",
            "My payment keeps failing at checkout even though my card works everywhere else. Third time today.",
        ),
        (
            "Late delivery",
            "Order {order} was supposed to arrive on Monday. It's {weekday} and nothing. Very disappointed.",
        ),
        (
            "Damaged item",
            "The {product} arrived broken, the box was crushed. I expect a replacement.",
        ),
        ("Double charge", "I was billed twice for order {order}. Please refund the second charge."),
        (
            "Bad service",
            "Nobody has answered my last two emails about my {product}. What is going on?",
        ),
    ],
    "question": [
        ("Delivery time", "How long does shipping to {country} usually take for the {product}?"),
        ("Invoice", "Could you send me an invoice for order {order}? I need it for expenses."),
        (
            "Change address",
            "Can I still change the delivery address for order {order}? I'm moving.",
        ),
        ("Payment methods", "Do you accept PayPal or bank transfer, or only credit cards?"),
        ("Account", "How do I change the email address on my account?"),
        ("Cancel order", "Is it possible to cancel order {order} before it ships?"),
        ("Newsletter", "How can I unsubscribe from the weekly newsletter?"),
    ],
    "urgent": [
        (
            "URGENT: site down",
            "Our shop has been down for {minutes} minutes during our sale, customers can't pay. Please help ASAP!",
        ),
        (
            "Checkout broken",
            "Checkout fails for ALL customers right now, we are losing orders every minute!!",
        ),
        (
            "Security issue",
            "I think my account was hacked, there are orders I didn't make. Lock it now please!",
        ),
        (
            "Overcharged",
            "I was just charged {times} times for order {order}, my account is overdrawn. Fix this today!",
        ),
    ],
    "casual": [
        ("Thanks", "Thanks a lot for the quick help yesterday, {agent} was great!"),
        ("Hello", "Hi! Just checking out the product, looks nice so far."),
        ("Love it", "The {product} is awesome, my whole family loves it 😊"),
        ("", "Happy {weekday}! No question, just saying hi."),
    ],
    "spam": [
        ("", "asd{junk} lkj{junk}"),
        ("test", "test {junk}"),
        (
            "Cheap SEO",
            "We will put your site on page 1 of Google guaranteed!!! Reply now for 80% off.",
        ),
        ("Winner", "You have WON a $1000 gift card. Click the link to claim before midnight!"),
    ],
}
KIND_WEIGHTS = {"question": 0.45, "complaint": 0.25, "urgent": 0.07, "casual": 0.13, "spam": 0.10}
COUNTRIES = ["Germany", "Canada", "Spain", "Japan", "Australia", "Brazil", "Norway"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
AGENTS = ["Sam", "Alex", "Jordan", "Mia"]


def fixed_messages() -> list[MessageIn]:
    now = utcnow()
    out = []
    for i, (_kind, channel, name, subject, body) in enumerate(SEED_MESSAGES):
        email = (
            f"{name.lower().replace(' ', '.').replace(chr(39), '')}@example.com" if name else None
        )
        out.append(
            MessageIn(
                channel=channel,
                external_id=f"seed-{i:04d}",
                subject=subject or None,
                body=body,
                customer=CustomerIn(email=email, name=name or None) if name else None,
                received_at=now - timedelta(minutes=7 * (len(SEED_MESSAGES) - i)),
            )
        )
    return out


def _when(rng: random.Random, now: datetime, days: int) -> datetime:
    """A past timestamp: weekdays busier than weekends, peaks around 10:00 and 15:00."""
    while True:
        day = rng.randrange(days)
        hour = rng.randrange(24)
        ts = (now - timedelta(days=day)).replace(
            hour=hour, minute=rng.randrange(60), second=rng.randrange(60)
        )
        weekday_factor = 1.0 if ts.weekday() < 5 else 0.45
        hour_factor = (
            0.15 + math.exp(-((hour - 10) ** 2) / 8) + 0.8 * math.exp(-((hour - 15) ** 2) / 10)
        )
        if ts <= now and rng.random() < weekday_factor * hour_factor / 1.2:
            return ts


def generated_messages(count: int, *, seed: int = 7, days: int = 30) -> Iterator[MessageIn]:
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    kinds = list(KIND_WEIGHTS)
    weights = [KIND_WEIGHTS[k] for k in kinds]
    for i in range(count):
        kind = rng.choices(kinds, weights)[0]
        subject, body = rng.choice(TEMPLATES[kind])
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        fields = {
            "product": rng.choice(PRODUCTS),
            "order": str(rng.randrange(1_000_000, 9_999_999)),
            "country": rng.choice(COUNTRIES),
            "weekday": rng.choice(WEEKDAYS),
            "minutes": str(rng.choice([10, 15, 25, 40])),
            "times": str(rng.randrange(2, 9)),
            "agent": rng.choice(AGENTS),
            "junk": "".join(rng.choice("qwertyuiopasdfghjkl0123456789") for _ in range(5)),
        }
        spam = kind == "spam"
        yield MessageIn(
            channel=rng.choice(["email", "email", "chat", "web"]),
            external_id=f"seed-gen-{seed}-{i:07d}",
            subject=subject.format(**fields) or None,
            body=body.format(**fields),
            customer=None
            if spam
            else CustomerIn(
                email=f"{name.lower().replace(' ', '.')}.{i % 997}@example.com", name=name
            ),
            received_at=_when(rng, now, days),
        )
