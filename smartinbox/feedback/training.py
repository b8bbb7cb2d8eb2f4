"""Training data rules: the seed's training prompt, which pairs become examples, and merging.

Pure functions with no database access, so the rules are easy to test and to reuse from the
exporters and benchmarks.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass

from smartinbox.kit.text import normalise_space

# Completions that carry no reply: the seed's "N/A" fallback and its relatives.
JUNK_COMPLETIONS = {
    "",
    "n/a",
    "na",
    "n.a.",
    "none",
    "null",
    "-",
    "--",
    "...",
    "tbd",
    "todo",
    "placeholder",
    "test",
    "xxx",
    "lorem ipsum",
}
# A template placeholder left unfilled ("{customer_name}", "{{order}}", "[Agent Name]").
_UNFILLED = re.compile(
    r"\{\{?\s*[A-Za-z_][\w ]*\s*\}?\}|\[(?:customer|agent|your|order|name|company)[^\]]{0,30}\]",
    re.I,
)
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)

# Sources of training examples and the weight each carries: a correction after a thumbs-down
# is the strongest signal; an AI reply the agent sent unchanged confirms what the model does.
SOURCE_WEIGHTS = {"correction": 2.0, "override": 1.5, "edited": 1.0, "accepted": 1.0, "replay": 1.0}


@dataclass(frozen=True)
class ExampleCandidate:
    prompt: str
    completion: str
    source: str
    weight: float


def build_training_prompt(
    message: str, ai_reply: str, useful: bool | None, agent_reply: str | None
) -> str:
    """The seed's TrainingPromptBuilder: message, AI reply, usefulness, the agent's correction."""
    verdict = "✅ Yes" if useful else "❌ No" if useful is not None else "not rated"
    parts = [
        f"Customer Message:\n{message.strip()}",
        f"AI Suggested Reply:\n{ai_reply.strip()}",
        f"Was this useful? → {verdict}",
    ]
    if useful is False and agent_reply and agent_reply.strip():
        parts.append(f"Agent replied with:\n{agent_reply.strip()}")
    parts.append("----\nUse this to learn how to improve the AI next time.")
    return "\n\n".join(parts)


def is_junk(completion: str | None) -> bool:
    """Empty, "N/A" or placeholder completions teach nothing and are never written."""
    if completion is None:
        return True
    text = normalise_space(completion).lower()
    if text.strip(" .!") in JUNK_COMPLETIONS or text in JUNK_COMPLETIONS:
        return True
    if sum(ch.isalnum() for ch in text) < 2:
        return True
    return bool(_UNFILLED.search(completion))


def canonical(text: str) -> str:
    """Case, width, punctuation and spacing folded away: the key near-duplicates share."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return normalise_space(_PUNCT.sub(" ", folded))


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(canonical(prompt).encode("utf-8")).hexdigest()


def near_duplicate(a: str, b: str, ratio: float) -> bool:
    ca, cb = canonical(a), canonical(b)
    if ca == cb:
        return True
    return difflib.SequenceMatcher(None, ca, cb, autojunk=False).ratio() >= ratio


def example_for(
    message: str,
    ai_reply: str | None,
    agent_reply: str | None,
    useful: bool | None,
    usage: str | None,
) -> ExampleCandidate | None:
    """Which (prompt, completion) pair an interaction teaches, if any.

    * thumbs-down with an agent reply: the agent's reply ("correction");
    * the AI reply sent unchanged ("accepted") or lightly edited ("edited"): what was sent;
    * an AI reply replaced without a rating ("override"): the agent's reply;
    * a thumbs-up without a sent reply: the AI reply ("accepted").
    """
    if useful is False:
        if agent_reply is None or usage == "unchanged":
            return None
        candidate = ExampleCandidate(
            message, agent_reply, "correction", SOURCE_WEIGHTS["correction"]
        )
    elif usage in ("unchanged", "edited") and agent_reply is not None:
        source = "accepted" if usage == "unchanged" else "edited"
        candidate = ExampleCandidate(message, agent_reply, source, SOURCE_WEIGHTS[source])
    elif usage == "replaced" and agent_reply is not None:
        candidate = ExampleCandidate(message, agent_reply, "override", SOURCE_WEIGHTS["override"])
    elif useful is True and ai_reply is not None and agent_reply is None:
        candidate = ExampleCandidate(message, ai_reply, "accepted", SOURCE_WEIGHTS["accepted"])
    else:
        return None
    if is_junk(candidate.completion) or not candidate.prompt.strip():
        return None
    return candidate
