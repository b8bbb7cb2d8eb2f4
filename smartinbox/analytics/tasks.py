"""Jobs of the analytics domain: keep the roll-ups equal to the source tables."""

from __future__ import annotations

import logging
from collections.abc import Callable

from huey import crontab

from smartinbox.analytics import rollups
from smartinbox.config import Settings, get_settings
from smartinbox.db import session_scope
from smartinbox.worker import huey

log = logging.getLogger(__name__)


def run_rebuild(settings: Settings, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild every roll-up, one short transaction per chunk of days; returns the chunks."""
    with session_scope(settings) as session:
        chunks = rollups.rebuild_start(session, settings)
    for done, chunk in enumerate(chunks, 1):
        with session_scope(settings) as session:
            rollups.rebuild_chunk(session, settings, chunk)
        if progress is not None:
            progress(done, len(chunks))
    with session_scope(settings) as session:
        rollups.rebuild_finish(session, settings)
    with session_scope(settings) as session:
        rollups.refresh(session, settings)  # whatever changed while the chunks ran
    return len(chunks)


def run_refresh(settings: Settings) -> int:
    """Recompute marked days, or rebuild when the roll-ups were built for other settings."""
    with session_scope(settings, write=False) as session:
        current = rollups.is_current(session, settings)
    if not current:
        log.info("rebuilding analytics roll-ups", extra={"timezone": settings.team_timezone})
        run_rebuild(settings)
        return -1
    with session_scope(settings) as session:
        return rollups.refresh(session, settings)


@huey.periodic_task(crontab(minute="*"), name="analytics.refresh_rollups")
def refresh_rollups() -> int:
    return run_refresh(get_settings())
