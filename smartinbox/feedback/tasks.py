"""Jobs of the feedback domain. They take ids, reload what they need and are idempotent."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from huey import crontab

from smartinbox.ai.engine import MemoryItem
from smartinbox.config import Settings, get_settings
from smartinbox.db import session_scope
from smartinbox.feedback import service
from smartinbox.kit.timeutil import utcnow
from smartinbox.worker import huey

log = logging.getLogger(__name__)
_settings = get_settings()


def learn(settings: Settings, items: Sequence[MemoryItem]) -> None:
    """Instant learning: the live engine's reply memory takes the agent's reply right away."""
    if not items or not settings.feedback_instant_learning:
        return
    from smartinbox.versions.engines import live_engine

    try:
        live_engine(settings).remember(items)
    except Exception:
        # The reply is captured as training data either way; the next retraining learns it.
        log.warning("instant learning skipped", exc_info=True)


@huey.task(
    retries=_settings.job_retries,
    retry_delay=_settings.job_retry_delay_s,
    name="feedback.capture_message",
)
def capture_message(message_id: int) -> bool:
    settings = get_settings()
    with session_scope(settings) as session:
        capture = service.capture_message(session, settings, message_id)
    learn(settings, capture.memory)
    return capture.replay is not None


# Retraining is not retried by the queue: a failed fine-tuning job fails for a reason (bad
# data, quota) that a retry would only repeat; transient HTTP errors are retried by the client.
@huey.task(retries=0, name="feedback.retrain")
def retrain(provider: str | None = None, resume: bool = False) -> dict[str, object]:
    from smartinbox.feedback.retrain import run

    settings = get_settings()
    # An unfinished fine-tuning job of an earlier run is polled first, not started again.
    result = run(settings, provider=provider, resume_only=resume).to_dict()
    if settings.gate_on_retrain and result["status"] == "candidate" and result["version_tag"]:
        # The scheduled loop ends in the promotion gate: live only if measurably better.
        from smartinbox.evaluation.gate import promote_if_better

        result["gate"] = promote_if_better(settings, str(result["version_tag"])).to_dict()
    return result


def retrain_due(settings: Settings) -> bool:
    if not settings.retrain_enabled or not settings.retrain_schedule.strip():
        return False
    fields = settings.retrain_schedule.split()
    if len(fields) != 5:
        log.error("retrain_schedule must have five cron fields", extra={"value": fields})
        return False
    minute, hour, day, month, weekday = fields
    return bool(crontab(minute, hour, day, month, weekday)(utcnow()))


@huey.periodic_task(crontab(minute="*"), name="feedback.retrain_tick")
def retrain_tick() -> bool:
    """Checks the schedule from the current settings each minute, so changing it needs no restart."""
    settings = get_settings()
    if not retrain_due(settings):
        return False
    # Every worker process runs this tick; only the first one in a minute starts retraining.
    if not huey.put_if_empty(f"retrain-due:{utcnow():%Y%m%dT%H%M}", "1"):
        return False
    retrain(None)
    return True
