"""Scale-out: `smartinbox serve --no-worker` plus two `smartinbox worker` processes on
PostgreSQL and Redis. 10,000 messages sent through the API as 10 batches of 1,000 end with
exactly one analysis and one current suggestion each. Loopback only; bounded in time.
(Whether two workers are faster than one is a benchmark: `python -m benchmarks.scale_out`.)
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from benchmarks.common import Deployment
from tests.conftest import Env, require

MESSAGES = int(os.environ.get("SMARTINBOX_SCALE_MESSAGES", "10000"))
BATCH = 1000
DEADLINE_S = int(os.environ.get("SMARTINBOX_SCALE_DEADLINE_S", "1500"))

COUNTS = text(
    "SELECT (SELECT count(*) FROM messages),"
    " (SELECT count(*) FROM analyses),"
    " (SELECT count(DISTINCT message_id) FROM analyses),"
    " (SELECT count(*) FROM ai_replies WHERE is_current),"
    " (SELECT count(DISTINCT message_id) FROM ai_replies WHERE is_current)"
)


def batches(prefix: str, total: int) -> list[dict[str, object]]:
    texts = [
        "Where is my order {n}? It was due on Monday.",
        "I was charged twice for invoice INV-{n}, please refund one.",
        "Can I change the delivery address for order {n}?",
        "How do I reset my password? The email never arrives.",
    ]
    out = []
    for start in range(0, total, BATCH):
        out.append(
            {
                "messages": [
                    {
                        "channel": "scale",
                        "external_id": f"{prefix}-{i}",
                        "body": texts[i % len(texts)].format(n=100000 + i),
                        "customer": {"email": f"c{i % 300}@example.com"},
                    }
                    for i in range(start, min(start + BATCH, total))
                ]
            }
        )
    return out


def counts(url: str) -> tuple[int, ...]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(int(v) for v in conn.execute(COUNTS).one())
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.timeout(DEADLINE_S + 300)
def test_two_workers_process_a_10000_message_batch_once(tmp_path: Path, models_dir: Path) -> None:
    require("postgres")
    require("redis")
    dep = Deployment(
        "postgresql",
        tmp_path,
        models_dir,
        queue_name=f"scale-{uuid.uuid4().hex[:8]}",
        extra_env={"SMARTINBOX_TRAIN_ON_START": "false"},
    )
    try:
        dep.start(worker=False)
        dep.start_workers(2)
        url = dep.env["SMARTINBOX_DATABASE_URL"]
        started = time.monotonic()
        with httpx.Client(base_url=dep.url, headers=dep.headers, timeout=120) as client:
            for payload in batches("s", MESSAGES):
                r = client.post("/api/messages/batch", json=payload)
                assert r.status_code == 201 and r.json()["created"] == BATCH, r.text
        state = counts(url)
        while state[1] < MESSAGES and time.monotonic() - started < DEADLINE_S:
            assert all(p.poll() is None for p in dep.workers), "a worker died"
            time.sleep(1)
            state = counts(url)
        print(
            json.dumps(
                {
                    "scale_out": {
                        "workers": 2,
                        "messages": MESSAGES,
                        "seconds": round(time.monotonic() - started, 1),
                        "counts": state,
                    }
                }
            )
        )
        # messages, analyses, analysed messages, current suggestions, messages with one
        assert state == (MESSAGES,) * 5
    finally:
        dep.stop()


def test_scheduled_retraining_starts_once_however_many_workers_tick(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartinbox.feedback import tasks
    from smartinbox.worker import huey

    monkeypatch.setattr(tasks, "retrain_due", lambda settings: True)
    ticks = [tasks.retrain_tick.call_local() for _ in range(3)]  # three workers, same minute
    assert ticks == [True, False, False]
    assert huey.pending_count() == 1
