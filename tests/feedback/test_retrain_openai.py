"""Retraining with the `openai` provider: the real SDK against a local fine-tuning API."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.feedback import service
from smartinbox.feedback.retrain import run
from smartinbox.feedback.schemas import ReplayIn
from smartinbox.models import AssistantVersion, FineTuneJob
from tests.conftest import Actor, Env, _apply, drain
from tests.feedback.fake_openai import FakeOpenAI

runner = CliRunner()


def _bad_replies(settings: Settings, n: int) -> None:
    with session_scope(settings) as s:
        for i in range(n):
            for _ in range(2):  # two thumbs-down on the same question: "not useful" adds up
                service.record_replay(
                    s,
                    settings,
                    ReplayIn(
                        message=f"Question number {i}: where is parcel {i}?",
                        aiReply="Have a nice day!",
                        agentReply=f"Parcel {i} is with the courier and arrives tomorrow.",
                        feedback="no",
                    ),
                )


def _settings(env: Env, api: FakeOpenAI, **extra: object) -> Settings:
    return env.settings.model_copy(
        update={
            "finetune_base_url": api.base_url,
            "finetune_api_key": "sk-test",
            "finetune_poll_interval_s": 0.01,
            "retrain_min_not_useful": 1,
            "retrain_destination": str(env.tmp / "datasets"),
            **extra,
        }
    )


def test_fine_tuning_job_is_polled_to_a_candidate(env: Env) -> None:
    _bad_replies(env.settings, 12)
    with FakeOpenAI() as api:
        settings = _settings(env, api)
        result = run(settings, provider="openai", sleep=lambda _s: None)
        assert result.status == "candidate", result
        assert api.retrievals == 3  # -> queued, -> running, -> succeeded
        uploaded = next(iter(api.contents.values())).decode()
    assert len(uploaded.splitlines()) == 12
    assert result.dataset["worst_prompts"] == 12 and result.dataset["rows"] == 12
    delivered = [Path(p) for p in result.delivered]
    assert all(p.exists() and p.parent == env.tmp / "datasets" for p in delivered)
    with env.session() as s:
        version = s.scalars(
            select(AssistantVersion).where(AssistantVersion.version_tag == "v1.1")
        ).one()
        job = s.scalars(select(FineTuneJob)).one()
        assert version.status == "candidate" and version.provider == "openai"
        assert version.fine_tune_id == job.result_model and job.result_model.startswith(
            "ft:gpt-4o-mini"
        )
        assert job.status == "succeeded" and job.provider_job_id.startswith("ftjob-")
        assert job.training_file_id.startswith("file-")
        assert [e["message"] for e in job.events][-1] == "The job has successfully completed"
        assert version.settings["data"]["file_sha256"] == job.dataset["file_sha256"]


def test_failed_job_keeps_the_providers_message(env: Env) -> None:
    _bad_replies(env.settings, 10)
    with FakeOpenAI() as api:
        result = run(_settings(env, api, finetune_base_model="fail-model"), provider="openai",
                     sleep=lambda _s: None)  # fmt: skip
    assert result.status == "failed"
    assert result.error == "The job failed due to an invalid training file."
    with env.session() as s:
        job = s.scalars(select(FineTuneJob)).one()
        version = s.get(AssistantVersion, job.assistant_version_id)
        assert job.status == "failed" and job.error == result.error
        assert version is not None and version.status == "retired"
        assert "invalid training file" in version.description


def test_bad_key_and_too_little_data(env: Env) -> None:
    _bad_replies(env.settings, 10)
    with FakeOpenAI() as api:
        result = run(_settings(env, api, finetune_api_key="sk-wrong"), provider="openai",
                     sleep=lambda _s: None)  # fmt: skip
        assert result.status == "failed" and "Incorrect API key" in (result.error or "")
        skipped = run(_settings(env, api, retrain_min_not_useful=5), provider="openai")
    assert skipped.status == "skipped" and "only 0 valid" in (skipped.error or "")


def _versions(env: Env) -> dict[str, str]:
    with env.session() as s:
        return dict(s.execute(select(AssistantVersion.version_tag, AssistantVersion.status)).all())


def test_a_job_that_outlasts_the_polling_window_is_resumed(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bad_replies(env.settings, 12)
    with FakeOpenAI() as api:
        api.hold_running = True
        settings = _settings(env, api, finetune_timeout_s=1, finetune_poll_interval_s=0.05)
        first = run(settings, provider="openai", sleep=time.sleep)
        assert first.status == "running" and first.version_tag == "v1.1" and not first.resumed
        assert first.job is not None and first.job["status"] == "running"
        with env.session() as s:
            job = s.scalars(select(FineTuneJob)).one()
            assert job.status == "running" and job.provider_job_id == first.job["id"]
            version = s.get(AssistantVersion, job.assistant_version_id)
            assert version is not None and version.fine_tune_id is None
            assert version.artifacts["fine_tune_job"]["status"] == "running"

        api.hold_running = False
        _apply(monkeypatch, settings)
        result = runner.invoke(cli, ["retrain", "--resume"])
        assert result.exit_code == 0, result.output
        second = json.loads(result.stdout.strip().splitlines()[-1])
        assert len(api.files) == 1 and len(api.jobs) == 1  # nothing uploaded or created again

    assert second["resumed"] is True and second["status"] == "candidate"
    assert second["version_tag"] == "v1.1" and second["job"]["id"] == first.job["id"]
    assert second["dataset"]["file_sha256"] == first.dataset["file_sha256"]
    assert _versions(env) == {"v1.0": "live", "v1.1": "candidate"}
    with env.session() as s:
        job = s.scalars(select(FineTuneJob)).one()
        version = s.get(AssistantVersion, job.assistant_version_id)
        assert job.status == "succeeded" and job.result_model
        assert version is not None and version.fine_tune_id == job.result_model
        assert [e["message"] for e in job.events][-1] == "The job has successfully completed"

    # Nothing is left to resume: --resume says so and starts nothing.
    result = runner.invoke(cli, ["retrain", "--resume"])
    assert result.exit_code == 0, result.output
    assert "no unfinished fine-tuning job to resume" in result.stdout
    assert _versions(env) == {"v1.0": "live", "v1.1": "candidate"}


def test_the_scheduled_job_resumes_and_a_job_the_provider_lost_fails(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartinbox.feedback.tasks import retrain

    _bad_replies(env.settings, 12)
    with FakeOpenAI() as api:
        api.hold_running = True
        settings = _settings(env, api, finetune_timeout_s=1, finetune_poll_interval_s=0.05)
        assert run(settings, provider="openai", sleep=time.sleep).status == "running"
    # The provider that ran the job is gone; another one does not know the job.
    with FakeOpenAI() as other:
        _apply(monkeypatch, _settings(env, other, retrain_provider="openai",
                                      gate_on_retrain=False))  # fmt: skip
        lost = retrain.call_local()
        assert lost["resumed"] is True and lost["status"] == "failed"
        assert "No fine-tuning job found" in str(lost["error"]) and not other.files
        with env.session() as s:
            job = s.scalars(select(FineTuneJob)).one()
            assert job.status == "failed" and "No fine-tuning job found" in (job.error or "")
        assert _versions(env) == {"v1.0": "live", "v1.1": "retired"}

        # Failed for good: the next scheduled run trains afresh on a new candidate.
        fresh = retrain.call_local()
        assert fresh["resumed"] is False and fresh["status"] == "candidate"
        assert fresh["version_tag"] == "v1.2" and len(other.files) == 1


def test_api_resume_flag(sqlite_env: Env, client: TestClient, admin: Actor) -> None:
    r = client.post("/api/retrain?resume=true&provider=local", headers=admin.headers)
    assert r.status_code == 422 and "resume" in r.text
    r = client.post("/api/retrain?resume=true", headers=admin.headers)
    assert r.status_code == 202 and r.json() == {"status": "queued"}
    drain()  # nothing to resume: the job starts nothing
    assert "v1.1" not in _versions(sqlite_env)
