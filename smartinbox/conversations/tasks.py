"""Jobs of the conversations domain."""

from __future__ import annotations

import logging

from huey import crontab

from smartinbox.config import get_settings
from smartinbox.conversations import service
from smartinbox.db import session_scope
from smartinbox.worker import huey

log = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="*"), name="conversations.wake_snoozed")
def wake_snoozed() -> int:
    """Reopen snoozed conversations whose time has come (idempotent: woken ones are open)."""
    with session_scope(get_settings()) as session:
        woken = service.wake_snoozed(session)
    if woken:
        log.info("woke snoozed conversations", extra={"count": len(woken)})
    return len(woken)
