"""Jobs of the inbox domain. They take ids, reload what they need and are idempotent."""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy.exc import IntegrityError

from smartinbox.config import get_settings
from smartinbox.db import session_scope
from smartinbox.inbox import analysis
from smartinbox.worker import huey

log = logging.getLogger(__name__)
_settings = get_settings()
BATCH = 64


@huey.task(
    retries=_settings.job_retries,
    retry_delay=_settings.job_retry_delay_s,
    name="inbox.analyze_message",
)
def analyze_message(message_id: int) -> int:
    return analyze_batch.call_local([message_id])  # type: ignore[no-any-return]


@huey.task(
    retries=_settings.job_retries,
    retry_delay=_settings.job_retry_delay_s,
    name="inbox.analyze_batch",
)
def analyze_batch(message_ids: list[int]) -> int:
    settings = get_settings()
    with session_scope(settings, write=False) as session:
        work = analysis.plan(session, message_ids)
    if not work:
        return 0
    engine = analysis.compute(settings, work)
    try:
        with session_scope(settings) as session:
            return analysis.store(session, settings, engine, work)
    except IntegrityError:
        # Another worker stored the same analysis first: the work is done, do not retry.
        log.info("analysis already stored by another worker", extra={"ids": message_ids[:10]})
        return 0


@huey.periodic_task(crontab(minute="*"), name="inbox.sweep_untriaged")
def sweep_untriaged() -> int:
    """Re-queue messages whose analysis job was lost (worker killed, queue restarted)."""
    settings = get_settings()
    with session_scope(settings) as session:
        ids = analysis.sweep(session, settings)
    for start in range(0, len(ids), BATCH):
        analyze_batch(ids[start : start + BATCH])
    if ids:
        log.warning("re-queued untriaged messages", extra={"count": len(ids)})
    return len(ids)


def queue_analysis(message_ids: list[int]) -> None:
    """Send analysis jobs: one per message, or batches when many arrive together."""
    if len(message_ids) == 1:
        analyze_message(message_ids[0])
        return
    for start in range(0, len(message_ids), BATCH):
        analyze_batch(message_ids[start : start + BATCH])
