"""The assistant engine interface. Providers (local models, OpenAI-compatible APIs) implement it.

Everything the inbox needs from the AI goes through `Engine`; nothing outside `smartinbox.ai`
knows how a provider works. Every output carries its provenance (model version, latency,
evidence) so that a number shown to a user can be traced back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# How many earlier customer turns a suggestion takes into account.
HISTORY_TURNS = 3


@dataclass(frozen=True)
class Turn:
    """One earlier turn of a conversation: what the customer wrote or the team replied."""

    role: str  # customer | agent
    text: str
    ref_id: str | None = None


# The name the reply choice uses for a turn of the conversation.
HistoryTurn = Turn


@dataclass(frozen=True)
class MessageInput:
    """What the engine sees of a customer message (plain text; HTML already reduced)."""

    body: str
    subject: str = ""
    customer_name: str | None = None
    message_id: int | None = None
    # Earlier turns of the same conversation, oldest first (empty for a first message).
    history: tuple[Turn, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.body}".strip() if self.subject else self.body

    def earlier_customer_text(self, turns: int = HISTORY_TURNS) -> list[str]:
        """The customer's last few earlier turns, oldest first."""
        earlier = [t.text for t in self.history if t.role == "customer" and t.text.strip()]
        return earlier[-turns:] if turns > 0 else []

    @property
    def context_text(self) -> str:
        """The latest turn in the light of the customer's earlier turns: what a reply is
        looked up by. A follow-up such as "any news?" is answered as part of its thread."""
        earlier = self.earlier_customer_text()
        return "\n".join([*earlier, self.text]) if earlier else self.text


@dataclass
class Triage:
    kind: str  # complaint | question | urgent | casual | spam
    topic: str
    urgency: float  # 0..1
    sentiment: float  # -1..1
    spam: float  # probability 0..1
    language: str  # ISO 639-1 code, "und" when unknown
    out_of_scope: bool = False
    confidence: dict[str, float] = field(default_factory=dict)  # per field, 0..1
    model_version: str = ""
    latency_ms: float = 0.0
    note: str | None = None  # why this result is not what the provider was asked for
    # Why the message is urgent, in words ("outage", "money lost", "deadline", "repeated
    # contact", "legal threat", "negative sentiment"); empty when nothing says so.
    reasons: list[str] = field(default_factory=list)


@dataclass
class Evidence:
    """One past interaction a suggestion was built from."""

    source: str  # history | agent_reply | accepted | macro | seed
    similarity: float
    message: str
    reply: str
    ref_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "similarity": round(self.similarity, 4),
            "message": self.message,
            "reply": self.reply,
            "ref_id": self.ref_id,
        }


@dataclass
class Suggestion:
    text: str
    confidence: float  # estimated probability that an agent accepts it
    evidence: list[Evidence] = field(default_factory=list)
    model: str = ""
    provider: str = "local"
    prompt_version: str | None = None
    latency_ms: float = 0.0
    note: str | None = None  # e.g. why a generated reply was replaced by the best evidence
    # Nothing stored fits: `text` is the closest evidence's reply, shown as such, not a
    # suggestion to send ("no confident suggestion"), and `note` says why.
    abstained: bool = False


@dataclass
class MemoryItem:
    """A known good reply and the customer message it answered (the reply memory)."""

    message: str
    reply: str
    source: str
    ref_id: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class CachedVector:
    """What remembering a message computed: its sentence vector (float32 bytes) and the topic
    the engine's head gave it."""

    vector: bytes
    topic: str


class VectorCache(Protocol):
    """A durable store of remembered messages' vectors, keyed by the engine's `fingerprint`
    (its models) and the SHA-256 of the message text as the engine reads it."""

    def load(self, fingerprint: str, keys: Sequence[str]) -> dict[str, CachedVector]: ...

    def store(self, fingerprint: str, rows: dict[str, CachedVector]) -> None: ...


class Engine(Protocol):
    name: str
    version: str

    def analyze(self, messages: Sequence[MessageInput]) -> list[Triage]:
        """Triage a batch of messages (batching is what makes bulk import fast)."""
        ...

    def suggest(self, message: MessageInput, triage: Triage) -> Suggestion:
        """Pick and adapt the best known reply, with confidence and evidence."""
        ...

    def remember(self, items: Sequence[MemoryItem]) -> None:
        """Add known good replies to the reply memory (instant learning)."""
        ...


def use_vector_cache(engine: Engine, cache: VectorCache | None) -> None:
    """Let an engine whose reply memory embeds messages keep and reuse their vectors in
    `cache` (engines that embed nothing ignore it)."""
    step = getattr(engine, "use_vector_cache", None)
    if step is not None:
        step(cache)


def prepare(engine: Engine, messages: Sequence[MessageInput]) -> None:
    """Let an engine that embeds messages do a whole batch at once (others need nothing)."""
    step = getattr(engine, "prepare", None)
    if step is not None:
        step(messages)


def suggest_many(
    engine: Engine, messages: Sequence[MessageInput], triages: Sequence[Triage]
) -> list[Suggestion]:
    """One suggestion per message, batched where the engine can batch them."""
    many = getattr(engine, "suggest_many", None)
    if many is not None:
        return list(many(messages, triages))
    return [engine.suggest(m, t) for m, t in zip(messages, triages, strict=True)]
