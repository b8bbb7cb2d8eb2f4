"""Old vs new: how two versions did with real customers, side by side and tested.

Proportions (share rated useful, share used rather than overridden, auto-snooze rate,
escalations per AI-answered message) get a two-proportion z-test; mean confidence a z-test of
two means. A difference is called significant at p < 0.05, never by eye.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from smartinbox.evaluation.stats import two_proportion_p
from smartinbox.models import AssistantVersion
from smartinbox.versions import repository as repo
from smartinbox.versions.service import get

SIGNIFICANT = 0.05


def figures(session: Session, version: AssistantVersion) -> dict[str, Any]:
    replies = repo.reply_figures(session, version.id)
    useful, rated = repo.rating_figures(session, version.id)
    usage = repo.usage_figures(session, version.id)
    used = usage.get("unchanged", 0) + usage.get("edited", 0)
    answered = used + usage.get("replaced", 0)
    return {
        "version": version.version_tag,
        "replies": replies["replies"],
        "rated": rated,
        "useful": useful,
        "answered": answered,
        "used": used,
        "replaced": usage.get("replaced", 0),
        "snoozed": replies["snoozed"],
        "messages": replies["messages"],
        "escalations": repo.escalations(session, version.id),
        "confidence_mean": round(replies["confidence_mean"], 4),
        "confidence_sd": round(
            math.sqrt(max(0.0, replies["confidence_sq"] - replies["confidence_mean"] ** 2)), 4
        ),
    }


# metric -> (hits, total) keys of `figures`
PROPORTIONS = {
    "useful_share": ("useful", "rated", "Share rated useful"),
    "usage_share": ("used", "answered", "Suggestion used (unchanged or edited) vs overridden"),
    "snooze_rate": ("snoozed", "replies", "Auto-snooze rate"),
    "escalation_rate": ("escalations", "messages", "Escalations after an AI reply"),
}


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _means_p(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    if a["replies"] < 2 or b["replies"] < 2:
        return None
    se = math.sqrt(a["confidence_sd"] ** 2 / a["replies"] + b["confidence_sd"] ** 2 / b["replies"])
    if se == 0:
        return 1.0 if a["confidence_mean"] == b["confidence_mean"] else 0.0
    z = (b["confidence_mean"] - a["confidence_mean"]) / se
    return round(math.erfc(abs(z) / math.sqrt(2)), 6)


def compare(session: Session, old_tag: str, new_tag: str) -> dict[str, Any]:
    a, b = figures(session, get(session, old_tag)), figures(session, get(session, new_tag))
    rows: list[dict[str, Any]] = [
        {"metric": "replies", "label": "Replies written", "old": a["replies"], "new": b["replies"],
         "difference": b["replies"] - a["replies"], "p_value": None, "significant": None}
    ]  # fmt: skip
    for key, (hits, total, label) in PROPORTIONS.items():
        old, new = _share(a[hits], a[total]), _share(b[hits], b[total])
        p = two_proportion_p(a[hits], a[total], b[hits], b[total])
        rows.append({
            "metric": key, "label": label, "old": old, "new": new,
            "difference": round(new - old, 4) if old is not None and new is not None else None,
            "p_value": p, "significant": p is not None and p < SIGNIFICANT,
            "n_old": a[total], "n_new": b[total],
        })  # fmt: skip
    p = _means_p(a, b)
    rows.append({
        "metric": "confidence_mean", "label": "Mean confidence", "old": a["confidence_mean"],
        "new": b["confidence_mean"], "difference": round(b["confidence_mean"] - a["confidence_mean"], 4),
        "p_value": p, "significant": p is not None and p < SIGNIFICANT,
        "n_old": a["replies"], "n_new": b["replies"],
    })  # fmt: skip
    return {"old": a, "new": b, "rows": rows}
