"""All SQL of the versions domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinbox.models import AssistantVersion, TrainingPrompt


def live(session: Session) -> AssistantVersion | None:
    return session.scalar(select(AssistantVersion).where(AssistantVersion.status == "live"))


def by_tag(session: Session, tag: str) -> AssistantVersion | None:
    return session.scalar(select(AssistantVersion).where(AssistantVersion.version_tag == tag))


def all_versions(session: Session) -> Sequence[AssistantVersion]:
    return session.scalars(select(AssistantVersion).order_by(AssistantVersion.id)).all()


def newest_candidate(session: Session) -> AssistantVersion | None:
    return session.scalar(
        select(AssistantVersion)
        .where(AssistantVersion.status == "candidate")
        .order_by(AssistantVersion.id.desc())
        .limit(1)
    )


def previous_live(session: Session, current: AssistantVersion) -> AssistantVersion | None:
    """The version that was live before `current`: the most recently promoted retired one."""
    return session.scalar(
        select(AssistantVersion)
        .where(
            AssistantVersion.status == "retired",
            AssistantVersion.promoted_at.is_not(None),
            AssistantVersion.id != current.id,
        )
        .order_by(AssistantVersion.promoted_at.desc(), AssistantVersion.id.desc())
        .limit(1)
    )


def latest_training_prompt(session: Session, version_id: int) -> TrainingPrompt | None:
    return session.scalar(
        select(TrainingPrompt)
        .where(TrainingPrompt.assistant_version_id == version_id)
        .order_by(TrainingPrompt.updated_at.desc(), TrainingPrompt.id.desc())
        .limit(1)
    )
