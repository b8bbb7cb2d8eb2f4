"""What agents did with suggestions, as accept/reject outcomes for calibrating confidence.

A suggestion sent unchanged or with edits was accepted; one the agent replaced was not. A
rating decides when there was no reply (or says more: an agent who rated a suggestion "not
useful" did not accept it, whatever they sent). Several agents' ratings count by majority.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartinbox.feedback import repository as repo

ACCEPTED_USAGE = ("unchanged", "edited")


def acceptance_outcomes(session: Session, provider: str = "local") -> tuple[list[float], list[int]]:
    confidence: list[float] = []
    accepted: list[int] = []
    for _id, shown, usage, useful in repo.suggestion_outcomes(session, provider):
        confidence.append(shown)
        accepted.append(int(useful) if useful is not None else int(usage in ACCEPTED_USAGE))
    return confidence, accepted
