"""Assistant versions: which version is live and tags every AI output."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AssistantVersion

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful, accurate customer-support assistant. Answer the customer's question "
    "using only facts from the provided context; never invent order numbers, refunds or "
    "promises. Match the customer's language and be brief and kind."
)


def live_version(
    session: Session, provider: str = "local", model: str | None = None
) -> AssistantVersion:
    """The live version; on a new install, v1.0 is created and made live."""
    version = session.scalar(select(AssistantVersion).where(AssistantVersion.status == "live"))
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
        found = session.scalar(select(AssistantVersion).where(AssistantVersion.status == "live"))
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


def promote(session: Session, tag: str) -> AssistantVersion:
    """Make a candidate live by hand; the previous live version is retired."""
    from smartinbox.kit.errors import Conflict, NotFound

    version = session.scalar(select(AssistantVersion).where(AssistantVersion.version_tag == tag))
    if version is None:
        raise NotFound(f"assistant version {tag!r} does not exist", field="tag")
    if version.status == "live":
        return version
    if version.status != "candidate":
        raise Conflict(f"{tag} is {version.status}; only a candidate can be promoted", field="tag")
    for live in session.scalars(select(AssistantVersion).where(AssistantVersion.status == "live")):
        live.status = "retired"
    session.flush()
    version.status = "live"
    version.promoted_at = utcnow()
    session.flush()
    return version
