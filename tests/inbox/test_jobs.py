"""Analysis jobs: queued only after commit, idempotent, and recovered when a worker dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from smartinbox.inbox import service
from smartinbox.inbox.schemas import MessageIn
from smartinbox.inbox.tasks import analyze_batch, queue_analysis, sweep_untriaged
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AIReply, Analysis, Message
from smartinbox.worker import enqueue, huey
from tests.conftest import Actor, Env, drain


def _message(ext: str, body: str = "My payment failed twice, what is going on?") -> MessageIn:
    return MessageIn(channel="api", external_id=ext, body=body)


def test_job_is_sent_after_commit(env: Env) -> None:
    with env.session() as s:
        result = service.ingest(s, env.settings, _message("a1"))
        enqueue(s, queue_analysis, [result.message.id])
        s.flush()
        assert huey.pending_count() == 0  # not before the commit
    assert huey.pending_count() == 1


def test_job_is_dropped_on_rollback(env: Env) -> None:
    with pytest.raises(RuntimeError), env.session() as s:
        result = service.ingest(s, env.settings, _message("a2"))
        enqueue(s, queue_analysis, [result.message.id])
        raise RuntimeError("boom")
    assert huey.pending_count() == 0
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0


def test_ingest_then_worker_stores_analysis_and_suggestion(
    env: Env, client: TestClient, agent: Actor
) -> None:
    r = client.post(
        "/api/messages",
        json={
            "channel": "chat",
            "external_id": "j1",
            "body": "HELP! My store is down, and it's peak hours!",
        },
        headers=agent.headers,
    )
    mid = r.json()["id"]
    assert huey.pending_count() == 1
    assert drain() == 1
    detail = client.get(f"/api/messages/{mid}", headers=agent.headers).json()
    analysis, suggestion = detail["analysis"], detail["suggestion"]
    assert analysis["kind"] == "urgent"
    assert 0.0 <= analysis["urgency"] <= 1.0 and -1.0 <= analysis["sentiment"] <= 1.0
    assert set(analysis["confidence"]) >= {
        "kind",
        "topic",
        "urgency",
        "sentiment",
        "spam",
        "language",
    }
    assert analysis["model_version"]
    assert suggestion["text"] and 0.0 <= suggestion["confidence"] <= 1.0
    assert suggestion["assistant_version_id"] is not None
    assert suggestion["evidence"], "a suggestion records the replies it was built from"
    assert detail["status"] == "open"


def test_running_the_job_twice_changes_nothing(env: Env) -> None:
    with env.session() as s:
        mid = service.ingest(s, env.settings, _message("twice")).message.id
    analyze_batch.call_local([mid])
    analyze_batch.call_local([mid])
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Analysis)) == 1
        assert s.scalar(select(func.count()).select_from(AIReply).where(AIReply.is_current)) == 1


def test_low_confidence_and_spam_suggestions_are_auto_snoozed(env: Env) -> None:
    with env.session() as s:
        spam = service.ingest(s, env.settings, _message("spam", "asdkjh123 iasdj")).message.id
    analyze_batch.call_local([spam])
    with env.session() as s:
        reply = s.scalars(select(AIReply).where(AIReply.message_id == spam)).one()
        assert reply.snoozed and reply.snooze_reason


def test_sweep_requeues_messages_whose_job_was_lost(env: Env) -> None:
    with env.session() as s:
        mid = service.ingest(s, env.settings, _message("lost")).message.id
        s.flush()
        s.execute(update(Message).values(created_at=utcnow() - timedelta(hours=1)))
    assert huey.pending_count() == 0  # the job never reached the queue
    assert sweep_untriaged.call_local() == 1
    drain()
    with env.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(Analysis).where(Analysis.message_id == mid))
            == 1
        )
    assert sweep_untriaged.call_local() == 0


def _worker(env: Env) -> subprocess.Popen[bytes]:
    environ = {**os.environ, "SMARTINBOX_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "smartinbox.cli", "worker", "--threads", "2"],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=None if os.environ.get("SMARTINBOX_TEST_WORKER_LOGS") else subprocess.DEVNULL,
    )


def _counts(env: Env) -> tuple[int, int, int]:
    with env.session() as s:
        analyses = s.scalar(select(func.count()).select_from(Analysis)) or 0
        current = s.scalar(select(func.count()).select_from(AIReply).where(AIReply.is_current)) or 0
        distinct = (
            s.scalar(
                select(func.count(func.distinct(AIReply.message_id))).where(AIReply.is_current)
            )
            or 0
        )
    return int(analyses), int(current), int(distinct)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_killed_worker_loses_no_message(env: Env) -> None:
    """A 10,000-message backlog; the worker is killed with SIGKILL in the middle of it."""
    n = 10_000
    chunk = min(1000, env.settings.max_batch)
    for start in range(0, n, chunk):  # as batch imports arrive: 64-message analysis jobs
        with env.session() as s:
            results = service.ingest_batch(
                s,
                env.settings,
                [
                    _message(f"k{i}", f"Order {i} has not arrived yet, where is it?")
                    for i in range(start, min(start + chunk, n))
                ],
            )
            enqueue(s, queue_analysis, [r.message.id for r in results])
    proc = _worker(env)
    deadline = time.monotonic() + 300
    while _counts(env)[0] < n // 10 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done_at_kill = _counts(env)[0]
    assert 0 < done_at_kill < n, f"killed at {done_at_kill} of {n}; the kill must land mid-run"

    with env.session() as s:  # what the killed worker had taken is gone from the queue
        s.execute(update(Message).values(created_at=utcnow() - timedelta(hours=1)))
    sweep_untriaged.call_local()
    proc = _worker(env)
    try:
        deadline = time.monotonic() + 900
        while _counts(env)[0] < n and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    analyses, current, distinct = _counts(env)
    assert (analyses, current, distinct) == (n, n, n)
