"""The `openai` retraining provider: upload the JSONL, start a fine-tuning job, poll it.

Works against any OpenAI-compatible API (`finetune_base_url`). No database transaction is
open while the provider is called: each step reads or writes its rows in its own short unit
of work. Transient HTTP failures (connection errors, 429, 5xx) are retried by the client; a
job the provider fails is recorded with the provider's message and not retried, since the
same data would fail the same way. A job still running when the polling window ends stays
recorded with its provider id and last status, and the next run resumes polling it instead
of uploading the data again.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.feedback import repository as repo
from smartinbox.kit.errors import ValidationFailed
from smartinbox.models import AssistantVersion, FineTuneJob

log = logging.getLogger(__name__)
TERMINAL = {"succeeded", "failed", "cancelled"}
CLIENT_RETRIES = 3
EVENTS_PER_POLL = 100


def client(settings: Settings) -> Any:
    from openai import OpenAI

    key = settings.finetune_api_key or os.environ.get("OPENAI_API_KEY")
    if not key:
        raise ValidationFailed(
            "fine-tuning needs SMARTINBOX_FINETUNE_API_KEY (or OPENAI_API_KEY)",
            field="finetune_api_key",
        )
    return OpenAI(
        api_key=key, base_url=settings.finetune_base_url, max_retries=CLIENT_RETRIES, timeout=120
    )


def _update(settings: Settings, job_id: int, **values: Any) -> FineTuneJob:
    with session_scope(settings) as session:
        job = session.get(FineTuneJob, job_id)
        assert job is not None
        for name, value in values.items():
            setattr(job, name, value)
        version = session.get(AssistantVersion, job.assistant_version_id or 0)
        if version is not None:
            version.artifacts = {
                **version.artifacts,
                "fine_tune_job": {"id": job.provider_job_id, "status": job.status},
            }
            if job.status == "succeeded" and job.result_model:
                version.fine_tune_id = job.result_model
                version.model = job.result_model
            elif job.status in ("failed", "cancelled"):
                version.status = "retired"
                version.description = f"Fine-tuning {job.status}: {job.error or 'no reason given'}"
        session.flush()
        session.expunge(job)
        return job


def _error_message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(exc)


def run(
    settings: Settings,
    job_id: int,
    dataset: Path,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> FineTuneJob:
    """Upload, create and poll the job recorded as `job_id` until it ends or times out."""
    from openai import OpenAIError

    api = client(settings)
    try:
        with dataset.open("rb") as fh:
            uploaded = api.files.create(file=(dataset.name, fh), purpose="fine-tune")
        created = api.fine_tuning.jobs.create(
            training_file=uploaded.id, model=settings.finetune_base_model
        )
    except OpenAIError as exc:
        log.warning("fine-tuning could not start", exc_info=True)
        return _update(settings, job_id, status="failed", error=_error_message(exc))
    job = _update(
        settings,
        job_id,
        provider_job_id=created.id,
        training_file_id=uploaded.id,
        status=created.status,
    )
    return poll(settings, job.id, created.id, sleep=sleep)


def resume(
    settings: Settings, *, sleep: Callable[[float], None] = time.sleep
) -> FineTuneJob | None:
    """Poll the newest job an earlier run left unfinished; None when there is none."""
    with session_scope(settings, write=False) as session:
        job = repo.unfinished_fine_tune_job(session, TERMINAL)
        if job is None or job.provider_job_id is None:
            return None
        job_id, provider_job_id = job.id, job.provider_job_id
    log.info("resuming fine-tuning job", extra={"job": provider_job_id})
    return poll(settings, job_id, provider_job_id, sleep=sleep)


def poll(
    settings: Settings, job_id: int, provider_job_id: str, *, sleep: Callable[[float], None]
) -> FineTuneJob:
    """Follow the job until it ends or `finetune_timeout_s` passes; the job row keeps the last
    status either way, so a later run can resume it."""
    from openai import NotFoundError, OpenAIError

    api = client(settings)
    deadline = time.monotonic() + settings.finetune_timeout_s
    while True:
        try:
            remote = api.fine_tuning.jobs.retrieve(provider_job_id)
            page = api.fine_tuning.jobs.list_events(provider_job_id, limit=EVENTS_PER_POLL)
        except NotFoundError as exc:
            # The provider no longer knows the job (deleted, or another account): it cannot end.
            return _update(settings, job_id, status="failed", error=_error_message(exc))
        except OpenAIError as exc:
            # The client already retried; keep the job open for the next run to check.
            return _update(settings, job_id, error=_error_message(exc))
        events = [
            {"created_at": e.created_at, "level": e.level, "message": e.message}
            for e in reversed(list(page.data))
        ]
        error = remote.error.message if remote.error and remote.error.message else None
        job = _update(
            settings,
            job_id,
            status=remote.status,
            events=events,
            result_model=remote.fine_tuned_model,
            error=error,
        )
        if remote.status in TERMINAL or time.monotonic() >= deadline:
            return job
        sleep(settings.finetune_poll_interval_s)
