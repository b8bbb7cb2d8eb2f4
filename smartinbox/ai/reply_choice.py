"""Which retrieved reply to suggest, and when to suggest none.

The nearest stored message's reply is often an answer to a detail of that other conversation.
Among the retrieved candidates, the reply to suggest is the one most like the other good
candidates (a minimum-Bayes-risk choice: if several similar questions were answered alike, that
answer is the safe one), weighed with how close its own message is to this one, and with
whether it answers this message:

* an urgent message (an incident, an outage) never gets a seed FAQ reply;
* a reply that asks for an order, invoice or tracking number the customer already gave (in this
  message or earlier in the conversation) counts against the candidate;
* a reply the agent already sent earlier in the conversation counts against it too;
* a reply the team wrote or approved, nearly as close as the closest candidate, is chosen
  over the seed FAQ replies, however much those agree with each other.

When no candidate is close enough, the choice abstains: the suggestion says "no confident
suggestion" and carries the closest evidence instead of a template that would mislead.
The weights and the abstention floor are constants chosen on the development split of
benchmarks/reply_quality.py (docs/engine.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smartinbox.ai.memory import Neighbour
from smartinbox.ai.reply_checks import asks_for_given_value

# How many neighbours the memory returns for the choice (evidence still shows the first few).
CANDIDATES = 12
# The score of a candidate: OWN_WEIGHT x its message's similarity to this message, plus
# CONSENSUS_WEIGHT x its agreement with the other candidates, plus RELEVANCE_WEIGHT x the
# similarity of its reply to this message.
OWN_WEIGHT = 0.3
CONSENSUS_WEIGHT = 0.7
RELEVANCE_WEIGHT = 0.0
# Weight of a candidate's similarity to the agent's latest earlier turn in this conversation
# (the next turn continues the same matter); a repeat of an earlier turn gets no such bonus.
HISTORY_WEIGHT = 0.4
# Temperature of the neighbour weights in the consensus: each neighbour counts
# e^(-(best similarity - its similarity) / TEMPERATURE); at 1.0 they count nearly alike, which
# did best on the development split (sharper weights, 0.02-0.1, did worse).
TEMPERATURE = 1.0
ASKS_GIVEN_PENALTY = 0.15
# A repeat of what the agent already said in this conversation is a last resort.
REPEAT_PENALTY = 1.0
REPEAT_SIMILARITY = 0.9
# Below this similarity between the message and the chosen candidate's message nothing stored
# answers the message.
ABSTAIN_BELOW = 0.45
# A reply the team wrote or approved whose message is within this of the closest candidate's
# is chosen over seed FAQ replies.
TEAM_MARGIN = 0.1
URGENT_KINDS = ("urgent",)
URGENT_LEVEL = 0.75
FAQ_SOURCES = ("seed",)
NO_CONFIDENT = "No confident suggestion"

VectorsOf = Callable[[Sequence[Neighbour]], npt.NDArray[np.float32]]


@dataclass
class Choice:
    chosen: Neighbour
    score: float
    consensus: float
    abstained: bool = False
    reason: str | None = None


def is_urgent(kind: str, urgency: float) -> bool:
    return kind in URGENT_KINDS or urgency >= URGENT_LEVEL


def choose(
    neighbours: Sequence[Neighbour],
    reply_vectors: VectorsOf,
    *,
    message: str,
    kind: str = "",
    urgency: float = 0.0,
    history: Sequence[str] = (),  # what the customer wrote earlier in the conversation
    history_vectors: npt.NDArray[np.float32] | None = None,
    query_vector: npt.NDArray[np.float32] | None = None,
    source_bonus: dict[str, float] | None = None,
) -> Choice:
    """The candidate to suggest among `neighbours` (at least one), with why it may abstain.

    `reply_vectors` embeds the candidates' replies (L2-normalised rows); `history_vectors`
    are the vectors of the agent's earlier turns in this conversation, if any.
    """
    if not neighbours:
        raise ValueError("choose needs at least one neighbour")
    bonus = source_bonus or {}
    urgent = is_urgent(kind, urgency)
    pool = list(neighbours)
    if urgent:
        pool = [n for n in pool if n.entry.source not in FAQ_SOURCES]
        if not pool:
            return Choice(
                chosen=neighbours[0],
                score=0.0,
                consensus=0.0,
                abstained=True,
                reason="an urgent message, and only FAQ replies are stored for it",
            )
    closest = max(n.similarity for n in pool)
    team = [n for n in pool if n.entry.source not in FAQ_SOURCES]
    if team and max(n.similarity for n in team) >= closest - TEAM_MARGIN:
        # The team's own replies come first: one agent reply to this question is worth more
        # than many FAQ replies agreeing with each other (instant learning).
        pool = team
    vectors = reply_vectors(pool)
    sims = np.array([n.score + bonus.get(n.entry.source, 0.0) for n in pool], dtype=np.float64)
    weights = np.exp((sims - sims.max()) / TEMPERATURE)
    agreement = np.asarray(vectors @ vectors.T, dtype=np.float64)
    context = "\n".join([message, *history])
    relevance = (
        np.asarray(vectors @ query_vector, dtype=np.float64)
        if query_vector is not None
        else np.zeros(len(pool))
    )
    scores = []
    consensus = []
    for i, candidate in enumerate(pool):
        others = np.arange(len(pool)) != i
        if others.any() and weights[others].sum() > 0:
            c = float((agreement[i, others] * weights[others]).sum() / weights[others].sum())
        else:
            c = float(sims[i])
        s = OWN_WEIGHT * float(sims[i]) + CONSENSUS_WEIGHT * c + RELEVANCE_WEIGHT * relevance[i]
        if asks_for_given_value(candidate.entry.template, context):
            s -= ASKS_GIVEN_PENALTY
        if history_vectors is not None and len(history_vectors) > 0:
            earlier = np.asarray(history_vectors @ vectors[i], dtype=np.float64)
            if float(earlier.max()) >= REPEAT_SIMILARITY:
                s -= REPEAT_PENALTY
            else:
                s += HISTORY_WEIGHT * float(earlier[-1])
        scores.append(s)
        consensus.append(c)
    best = max(range(len(pool)), key=lambda i: (scores[i], pool[i].position))
    chosen = pool[best]
    choice = Choice(chosen=chosen, score=scores[best], consensus=consensus[best])
    if closest < ABSTAIN_BELOW:
        choice.abstained = True
        choice.reason = f"the closest stored message is only {closest:.2f} similar to this one"
    return choice


def consensus_feature(choice: Choice) -> float:
    """The chosen reply's agreement with the other candidates, for reports (0..1)."""
    return 0.0 if math.isnan(choice.consensus) else max(0.0, min(1.0, choice.consensus))
