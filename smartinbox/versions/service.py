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
