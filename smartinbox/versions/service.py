"""Assistant versions: which one is live, launching, freezing, copying and rolling back.

Launching a version (promotion) freezes the prompt of the version it replaces: a frozen
version is kept exactly as it answered, for comparison and rollback, and can only be copied.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartinbox.kit.errors import Conflict, NotFound
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AssistantVersion
from smartinbox.versions import repository as repo

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful, accurate customer-support assistant. Answer the customer's question "
    "using only facts from the provided context; never invent order numbers, refunds or "
    "promises. Match the customer's language and be brief and kind."
)
EDITABLE = ("description", "system_prompt", "few_shot", "settings")


def live_version(
    session: Session, provider: str = "local", model: str | None = None
) -> AssistantVersion:
    """The live version; on a new install, v1.0 is created and made live."""
    version = repo.live(session)
    if version is not None:
        return version
    try:
        with session.begin_nested():
            version = AssistantVersion(
                version_tag="v1.0",
                description="Initial assistant trained on the bundled data.",
                provider=provider,
                model=model,
                system_prompt=DEFAULT_SYSTEM_PROMPT,
                status="live",
                promoted_at=utcnow(),
            )
            session.add(version)
            session.flush()
    except IntegrityError:
        found = repo.live(session)
        if found is None:
            raise
        return found
    return version


def next_tag(session: Session) -> str:
    """The next minor version after the highest vMAJOR.MINOR tag (v1.0 -> v1.1)."""
    best = (1, 0)
    for tag in session.scalars(select(AssistantVersion.version_tag)):
        major, _, minor = tag.lstrip("v").partition(".")
        if major.isdigit() and minor.isdigit():
            best = max(best, (int(major), int(minor)))
    return f"v{best[0]}.{best[1] + 1}"


def get(session: Session, tag: str) -> AssistantVersion:
    version = repo.by_tag(session, tag)
    if version is None:
        raise NotFound(f"assistant version {tag!r} does not exist", field="tag")
    return version


def _make_live(session: Session, version: AssistantVersion) -> None:
    for live in session.scalars(select(AssistantVersion).where(AssistantVersion.status == "live")):
        live.status = "retired"
        live.frozen = True  # the replaced version is kept exactly as it answered
    session.flush()  # only one live version at a time (partial unique index on PostgreSQL)
    version.status = "live"
    version.promoted_at = utcnow()
    session.flush()


def promote(session: Session, tag: str) -> AssistantVersion:
    """Make a candidate live; the previous live version is retired and frozen.

    This is the unconditional step; `smartinbox.evaluation.gate` decides whether to take it.
    """
    version = get(session, tag)
    if version.status == "live":
        return version
    if version.status != "candidate":
        raise Conflict(f"{tag} is {version.status}; only a candidate can be promoted", field="tag")
    live_version(session)  # a fresh install gets its v1.0 first, so there is one to roll back to
    _make_live(session, version)
    return version


def rollback(session: Session) -> tuple[AssistantVersion, AssistantVersion]:
    """Return to the version that was live before the current one; returns (from, to)."""
    current = repo.live(session)
    if current is None:
        raise Conflict("no version is live", field="tag")
    previous = repo.previous_live(session, current)
    if previous is None:
        raise Conflict(f"{current.version_tag} has no earlier live version to return to")
    _make_live(session, previous)
    return current, previous


def freeze(session: Session, tag: str) -> AssistantVersion:
    version = get(session, tag)
    version.frozen = True
    session.flush()
    return version


def edit(session: Session, tag: str, changes: dict[str, Any]) -> AssistantVersion:
    """Change a version's prompt, few-shot set, settings or description, unless it is frozen."""
    version = get(session, tag)
    if version.frozen:
        raise Conflict(f"{tag} is frozen; copy it to make changes", field="tag")
    for name in EDITABLE:
        if changes.get(name) is not None:
            setattr(version, name, changes[name])
    session.flush()
    return version


def copy(session: Session, tag: str, description: str | None = None) -> AssistantVersion:
    """A new editable candidate with the prompt, few-shot set, settings and models of `tag`."""
    source = get(session, tag)
    version = AssistantVersion(
        version_tag=next_tag(session),
        description=description or f"Copy of {source.version_tag}.",
        parent_id=source.id,
        provider=source.provider,
        model=source.model,
        fine_tune_id=source.fine_tune_id,
        system_prompt=source.system_prompt,
        few_shot=list(source.few_shot),
        artifacts=dict(source.artifacts),
        settings=dict(source.settings),
        status="candidate",
    )
    session.add(version)
    session.flush()
    return version
