"""One retraining run, the same from the CLI and the scheduled job.

1. collect the worst-performing prompts and the answered auto-snoozed messages;
2. export them as validated chat JSONL plus a record of the data, and deliver both;
3. retrain: `local` trains a candidate's models and reply memory, `openai` runs a fine-tuning
   job; either way a candidate assistant version records what it was built from.
   A fine-tuning job still running when a run stops waiting is resumed by the next run.
A candidate never goes live by itself: `smartinbox versions promote` (or a promotion gate).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartinbox.ai.artifacts import file_sha256
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.feedback import dataset, destinations, exports, finetune, local_retrain
from smartinbox.kit.errors import DomainError
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AssistantVersion, FineTuneJob
from smartinbox.versions.service import DEFAULT_SYSTEM_PROMPT, live_version, next_tag

log = logging.getLogger(__name__)


@dataclass
class RetrainResult:
    provider: str
    status: str  # candidate | failed | skipped | running
    version_tag: str | None = None
    dataset: dict[str, Any] = field(default_factory=dict)
    delivered: list[str] = field(default_factory=list)
    job: dict[str, Any] | None = None
    error: str | None = None
    resumed: bool = False  # an earlier run's fine-tuning job was polled, nothing new started

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _export(settings: Settings, provider: str, stamp: str) -> tuple[list[Path], dict[str, Any]]:
    folder = settings.resolved_export_dir() / "retrain"
    jsonl = folder / f"retrain-{stamp}.jsonl"
    # Local retraining learns from all labelled data, so an empty worst-prompt set is fine;
    # a fine-tuning job needs the provider's minimum.
    limits = (
        settings
        if provider == "openai"
        else settings.model_copy(update={"finetune_min_examples": 0})
    )
    record = dataset.DatasetRecord()
    with session_scope(settings, write=False) as session:
        system = live_version(session).system_prompt or DEFAULT_SYSTEM_PROMPT
        rows = dataset.worst_rows(session, settings, record, settings.export_redact_pii)
        report = exports.write_jsonl(rows, jsonl, limits, system)
        labelled = dataset.labelled_data_record(session)
    data = {
        **record.to_dict(),
        "labelled": labelled,
        "validation": report.validation,
        "file": jsonl.name,
        "file_sha256": file_sha256(jsonl),
        "redacted": settings.export_redact_pii,
        "min_not_useful": settings.retrain_min_not_useful,
        "created_at": utcnow().isoformat(),
    }
    record_file = folder / f"retrain-{stamp}.json"
    with exports.atomic_file(record_file) as target:
        target.handle.write(json.dumps(data, indent=2))
        target.commit()
    return [jsonl, record_file], data


def _candidate(
    settings: Settings, provider: str, data: dict[str, Any]
) -> tuple[int, str, int | None]:
    with session_scope(settings) as session:
        parent = live_version(session)
        version = AssistantVersion(
            version_tag=next_tag(session),
            description=f"Retrained ({provider}) on {data['rows']} worst-prompt rows.",
            parent_id=parent.id,
            provider=provider,
            model=settings.finetune_base_model if provider == "openai" else None,
            system_prompt=parent.system_prompt,
            status="candidate",
            settings={"data": data},
        )
        session.add(version)
        session.flush()
        job_id = None
        if provider == "openai":
            job = FineTuneJob(assistant_version_id=version.id, provider="openai",
                              base_model=settings.finetune_base_model, status="pending",
                              dataset=data)  # fmt: skip
            session.add(job)
            session.flush()
            job_id = job.id
        return version.id, version.version_tag, job_id


def _finish_job(result: RetrainResult, job: FineTuneJob) -> RetrainResult:
    result.job = {"id": job.provider_job_id, "status": job.status, "model": job.result_model,
                  "events": len(job.events), "error": job.error}  # fmt: skip
    result.status = {"succeeded": "candidate", "failed": "failed", "cancelled": "failed"}.get(
        job.status, "running"
    )
    # A running job's error is the last status check that failed (the next run checks again).
    result.error = job.error if result.status != "candidate" else None
    return result


def _resume(settings: Settings, sleep: Callable[[float], None]) -> RetrainResult | None:
    job = finetune.resume(settings, sleep=sleep)
    if job is None:
        return None
    with session_scope(settings, write=False) as session:
        version = session.get(AssistantVersion, job.assistant_version_id or 0)
        tag = version.version_tag if version is not None else None
    result = RetrainResult("openai", "failed", version_tag=tag, dataset=job.dataset, resumed=True)
    return _finish_job(result, job)


def run(
    settings: Settings,
    *,
    provider: str | None = None,
    resume_only: bool = False,
    progress: local_retrain.Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RetrainResult:
    """One retraining run. With the `openai` provider an unfinished fine-tuning job of an
    earlier run is resumed (polled to its end, recorded on its own candidate) instead of
    starting another; `resume_only` never starts a new one."""
    provider = "openai" if resume_only else (provider or settings.retrain_provider)
    if provider == "openai":
        resumed = _resume(settings, sleep)
        if resumed is not None:
            return resumed
        if resume_only:
            return RetrainResult(
                provider, "skipped", error="no unfinished fine-tuning job to resume"
            )
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    try:
        files, data = _export(settings, provider, stamp)
    except DomainError as exc:
        log.warning("retraining skipped", extra={"reason": exc.message})
        return RetrainResult(provider, "skipped", error=exc.message, dataset=exc.extra)
    result = RetrainResult(provider, "failed", dataset=data)
    result.delivered = destinations.deliver(settings, files)
    version_id, result.version_tag, job_id = _candidate(settings, provider, data)
    if provider == "openai" and job_id is not None:
        return _finish_job(result, finetune.run(settings, job_id, files[0], sleep=sleep))
    try:
        # Training takes minutes and only reads: no write transaction (on SQLite, the one write
        # lock) is held meanwhile; the result is recorded in a short one afterwards.
        with session_scope(settings, write=False) as session:
            artifacts = local_retrain.retrain(settings, session, result.version_tag, progress)
        with session_scope(settings) as session:
            version = session.get(AssistantVersion, version_id)
            assert version is not None
            version.artifacts = artifacts
            version.model = artifacts.get("models_version")
            # The data record lists the labelled rows the triage heads learned from.
            result.dataset = {**data, "triage_heads": artifacts["triage_heads"]}
            version.settings = {**version.settings, "data": result.dataset}
    except Exception as exc:
        log.exception("local retraining failed")
        with session_scope(settings) as session:
            version = session.get(AssistantVersion, version_id)
            if version is not None:
                version.status = "retired"
                version.description = f"Local retraining failed: {exc}"
        result.error = str(exc)
        return result
    result.status = "candidate"
    return result
