"""How well the judge agrees with agents' ratings: AUC, counts and scores per rating.

The judge scores each rated reply (message and reply, with the reference when there is one);
the ratings say which replies agents found useful. The AUC is the probability that a reply
agents rated useful scores higher than one they rated not useful (a tie counts half): 0.5 is
no agreement, 1.0 a judge that ranks every useful reply above every other one. It is computed
from ranks (Mann-Whitney U, tied scores share their mean rank), so it needs no threshold.

Ratings are thumbs (useful / not useful) or 1-5 stars. Stars of 4-5 count as useful and 1-2
as not useful for the stars AUC; 3 stars stay out of it but are listed in the distribution.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean, median
from typing import Any, Protocol

from sqlalchemy.orm import Session

from smartinbox.ai.metrics import auc
from smartinbox.kit.errors import ValidationFailed
from smartinbox.kit.text import html_to_text

THUMBS = {
    "yes": True, "no": False, "true": True, "false": False, "up": True, "down": False,
    "useful": True, "not useful": False, "not_useful": False, "👍": True, "👎": False,
}  # fmt: skip
STAR_USEFUL, STAR_NOT_USEFUL = 4, 2


class _Judge(Protocol):
    def evaluate(self, message: str, reply: str, reference: str | None = None) -> Any: ...


@dataclass(frozen=True)
class Rated:
    """One agent rating of one reply: thumbs (`useful`) and/or stars."""

    message: str
    reply: str
    useful: bool | None
    stars: int | None = None
    reference: str | None = None


def _spread(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))], 4)

    return {
        "n": len(values),
        "mean": round(fmean(values), 4),
        "median": round(median(values), 4),
        "p10": at(0.1),
        "p90": at(0.9),
        "min": round(ordered[0], 4),
        "max": round(ordered[-1], 4),
    }


def _auc_block(scores: Sequence[float], labels: Sequence[bool]) -> dict[str, Any]:
    value = auc(scores, labels)
    positives = sum(labels)
    return {
        "auc": None if value is None else round(value, 4),
        "useful": positives,
        "not_useful": len(labels) - positives,
    }


def agreement(rated: Sequence[Rated], scores: Sequence[float]) -> dict[str, Any]:
    """AUC for thumbs and for stars, counts, and the score distribution per rating."""
    thumbs = [(s, r.useful) for r, s in zip(rated, scores, strict=True) if r.useful is not None]
    stars = [(s, r.stars) for r, s in zip(rated, scores, strict=True) if r.stars is not None]
    starred = [(s, n >= STAR_USEFUL) for s, n in stars if n >= STAR_USEFUL or n <= STAR_NOT_USEFUL]
    by_rating: dict[str, list[float]] = defaultdict(list)
    for s, useful in thumbs:
        by_rating["useful" if useful else "not useful"].append(s)
    for s, n in stars:
        by_rating[f"{n} stars"].append(s)
    return {
        "ratings": len(rated),
        "with_reference": sum(1 for r in rated if r.reference),
        "thumbs": _auc_block([s for s, _ in thumbs], [bool(y) for _, y in thumbs]),
        "stars": {
            **_auc_block([s for s, _ in starred], [y for _, y in starred]),
            "neutral": sum(1 for _s, n in stars if STAR_NOT_USEFUL < n < STAR_USEFUL),
        },
        "scores": _spread(list(scores)),
        "by_rating": {k: _spread(v) for k, v in sorted(by_rating.items())},
    }


def judge_all(judge: _Judge, rated: Iterable[Rated]) -> list[float]:
    return [float(judge.evaluate(r.message, r.reply, r.reference).score) for r in rated]


def parse_rating(value: str) -> tuple[bool | None, int | None]:
    """(thumbs, stars) of a CSV cell: yes/no, up/down, true/false, useful/not useful, or 1-5."""
    text = value.strip().lower()
    if text in THUMBS:
        return THUMBS[text], None
    if text.isdigit() and 1 <= int(text) <= 5:
        return None, int(text)
    raise ValueError(f"rating {value!r} is neither yes/no nor 1-5 stars")


def from_csv(
    path: Path,
    message_col: str,
    reply_col: str,
    rating_col: str,
    reference_col: str | None = None,
    limit: int | None = None,
) -> list[Rated]:
    rows: list[Rated] = []
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for col in [message_col, reply_col, rating_col] + (
            [reference_col] if reference_col else []
        ):
            if col not in header:
                raise ValidationFailed(
                    f"column {col!r} is not in {path.name} (columns: {', '.join(header)})",
                    field=col,
                )
        for line, row in enumerate(reader, start=2):
            message, reply = (row.get(message_col) or "").strip(), (row.get(reply_col) or "")
            rating = (row.get(rating_col) or "").strip()
            if not message or not reply.strip() or not rating:
                continue
            try:
                useful, stars = parse_rating(rating)
            except ValueError as exc:
                raise ValidationFailed(f"line {line}: {exc}", field=rating_col) from exc
            reference = (row.get(reference_col) or "").strip() if reference_col else ""
            rows.append(Rated(message, reply, useful, stars, reference or None))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def from_database(
    session: Session, with_reference: bool = False, limit: int | None = None
) -> list[Rated]:
    """Every current rating of a suggestion; the agent's sent reply as reference if asked."""
    from smartinbox.evaluation import repository as repo

    rows = repo.rated_suggestions(session, limit)
    references: dict[int, str] = {}
    if with_reference and rows:
        references = repo.latest_agent_replies(session, {int(r[6]) for r in rows})
    out = []
    for useful, score, reply, subject, body, body_format, mid in rows:
        text = html_to_text(body) if body_format == "html" else str(body)
        message = f"{subject}\n{text}".strip() if subject else text
        out.append(Rated(message, str(reply), bool(useful), score, references.get(int(mid))))
    return out
