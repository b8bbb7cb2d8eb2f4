"""Realistic bad replies over real messages, one per way assistants fail in support.

Each generator takes a real interaction (customer message, the agent's good reply) and returns
the kind of wrong reply a support lead sees in practice. Deterministic for a given seed, so a
harness run can be repeated and compared.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    message: str
    reference: str
    topic: str | None = None


@dataclass(frozen=True)
class Failure:
    kind: str
    source: Source
    bad_reply: str


GENERIC = (
    "Thank you for contacting us. We appreciate your message and value you as a customer. "
    "Have a wonderful day!"
)
FLIPPANT = "lol relax, these things happen all the time. Just wait a bit and it'll probably sort itself out"
OTHER_LANGUAGE = (
    "Gracias por su mensaje. Hemos revisado su caso y le responderemos pronto con más "
    "información sobre su pedido."
)


def _wrong_topic(src: Source, pool: Sequence[Source], rng: random.Random) -> str:
    others = [s for s in pool if s.topic != src.topic and s.reference != src.reference]
    return rng.choice(others).reference if others else GENERIC


def _missing_question(src: Source, pool: Sequence[Source], rng: random.Random) -> str:
    return GENERIC


def _wrong_tone(src: Source, pool: Sequence[Source], rng: random.Random) -> str:
    return FLIPPANT


def _hallucinated_number(src: Source, pool: Sequence[Source], rng: random.Random) -> str:
    number = f"ORD-{rng.randint(10000, 99999)}"
    return f"{src.reference.rstrip()} I have also refunded your order {number} in full."


def _truncated(src: Source, pool: Sequence[Source], rng: random.Random) -> str:
    words = src.reference.split()
    return " ".join(words[: max(3, len(words) // 3)]).rstrip(".!?,;:")


def _empty(src: Source, pool: Sequence[Source], rng: random.Random) -> str:
    return ""


def _wrong_language(src: Source, pool: Sequence[Source], rng: random.Random) -> str:
    return OTHER_LANGUAGE


GENERATORS: dict[str, Callable[[Source, Sequence[Source], random.Random], str]] = {
    "wrong_topic": _wrong_topic,
    "missing_question": _missing_question,
    "wrong_tone": _wrong_tone,
    "hallucinated_number": _hallucinated_number,
    "truncated": _truncated,
    "empty": _empty,
    "wrong_language": _wrong_language,
}


def simulate(sources: Sequence[Source], count: int, seed: int = 0) -> list[Failure]:
    """`count` failures, cycling through the sources and every kind of failure in turn."""
    if not sources:
        return []
    rng = random.Random(seed)
    # Every kind of failure on one message before the next message: any run of at least
    # len(GENERATORS) cases covers every kind.
    pairs = [(src, kind) for src in sources for kind in GENERATORS]
    out = []
    for i in range(count):
        src, kind = pairs[i % len(pairs)]
        out.append(Failure(kind, src, GENERATORS[kind](src, sources, rng)))
    return out
