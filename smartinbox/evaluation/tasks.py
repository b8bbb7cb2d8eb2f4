"""Jobs of the evaluation domain."""

from __future__ import annotations

from smartinbox.config import get_settings
from smartinbox.worker import huey


# Not retried by the queue: an interrupted run is resumed by running it again (finished rows are
# skipped), which `smartinbox stress-test --resume RUN_ID` or this job does.
@huey.task(retries=0, name="evaluation.stress_test")
def stress_test(run_id: int) -> dict[str, object]:
    from smartinbox.evaluation.stress import execute

    return execute(get_settings(), run_id)
