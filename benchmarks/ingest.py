"""Ingest throughput and latency (single and batch) and time from ingest to stored analysis.

Runs a real `smartinbox serve` process on loopback against SQLite (+ SQLite queue) and, when
it is reachable, PostgreSQL (+ Redis queue); the client is a separate process. Writes
benchmarks/results/ingest.json.

    python -m benchmarks.ingest [--single 300] [--batches 10] [--batch-size 500] [--analysis 100]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from benchmarks.common import (
    ROOT,
    Deployment,
    machine,
    postgres_available,
    summary_ms,
    write_result,
)

TEXTS = [
    "Where is my order {n}? It was due on Monday.",
    "I was charged twice for invoice INV-{n}, please refund one.",
    "HELP! Checkout is broken for all customers right now!",
    "Can I change the delivery address for order {n}?",
    "Thanks for the quick help yesterday!",
    "How do I reset my password? The email never arrives.",
]


def _message(prefix: str, i: int) -> dict[str, Any]:
    return {
        "channel": "bench",
        "external_id": f"{prefix}-{i}",
        "body": random.choice(TEXTS).format(n=100000 + i),
        "customer": {"email": f"c{i % 500}@example.com", "name": f"Customer {i % 500}"},
    }


def bench_single(dep: Deployment, n: int) -> dict[str, Any]:
    latencies = []
    with httpx.Client(base_url=dep.url, headers=dep.headers, timeout=30) as client:
        started = time.perf_counter()
        for i in range(n):
            t0 = time.perf_counter()
            r = client.post("/api/messages", json=_message("single", i))
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 201, r.text
        elapsed = time.perf_counter() - started
    return {"requests": n, "messages_per_s": round(n / elapsed, 1), **summary_ms(latencies)}


def bench_batch(dep: Deployment, batches: int, size: int) -> dict[str, Any]:
    latencies = []
    with httpx.Client(base_url=dep.url, headers=dep.headers, timeout=120) as client:
        started = time.perf_counter()
        for b in range(batches):
            payload = {"messages": [_message(f"batch{b}", i) for i in range(size)]}
            t0 = time.perf_counter()
            r = client.post("/api/messages/batch", json=payload)
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 201 and r.json()["created"] == size, r.text
        elapsed = time.perf_counter() - started
    return {
        "batches": batches,
        "batch_size": size,
        "messages_per_s": round(batches * size / elapsed, 1),
        **{k.replace("_ms", "_batch_ms"): v for k, v in summary_ms(latencies).items()},
    }


def _wait_idle(dep: Deployment, engine_url: str, timeout: float = 900) -> None:
    engine = create_engine(engine_url)
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            missing = conn.execute(
                text(
                    "SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM ai_replies r WHERE r.message_id = m.id)"
                )
            ).scalar()
            if missing == 0:
                break
            conn.rollback()
            time.sleep(0.5)
    engine.dispose()


def bench_analysis(dep: Deployment, n: int, gap_s: float) -> dict[str, Any]:
    """Messages sent one at a time (an idle queue each time): ingest -> analysis + suggestion."""
    url = dep.env["SMARTINBOX_DATABASE_URL"]
    _wait_idle(dep, url)  # the backlog of the throughput runs is cleared first
    with httpx.Client(base_url=dep.url, headers=dep.headers, timeout=30) as client:
        ids = []
        for i in range(n):
            r = client.post("/api/messages", json=_message("latency", i))
            ids.append(r.json()["id"])
            time.sleep(gap_s)
    _wait_idle(dep, url)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT m.created_at, a.created_at, r.created_at FROM messages m "
                "JOIN analyses a ON a.message_id = m.id JOIN ai_replies r ON r.message_id = m.id AND r.is_current "
                "WHERE m.external_id LIKE 'latency-%'"
            )
        ).all()
    engine.dispose()

    def secs(a: Any, b: Any) -> float:
        from smartinbox.models.base import UTCDateTime

        conv = UTCDateTime().process_result_value
        return (conv(b, engine.dialect) - conv(a, engine.dialect)).total_seconds()  # type: ignore[operator]

    to_analysis = [secs(m, a) for m, a, _ in rows]
    to_suggestion = [secs(m, r) for m, _, r in rows]
    return {
        "messages": len(rows),
        "ingest_to_analysis": summary_ms(to_analysis),
        "ingest_to_suggestion": summary_ms(to_suggestion),
    }


def run(backend: str, args: argparse.Namespace, models_dir: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        dep = Deployment(backend, Path(tmp), models_dir).start(worker=True)
        try:
            return {
                "single": bench_single(dep, args.single),
                "batch": bench_batch(dep, args.batches, args.batch_size),
                "analysis": bench_analysis(dep, args.analysis, args.gap),
            }
        finally:
            dep.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--analysis", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between latency probes")
    args = parser.parse_args()
    from smartinbox.ai.training import ensure_models

    models_dir = ROOT / "var" / "bench-models"
    ensure_models(models_dir)
    random.seed(0)
    result: dict[str, Any] = {"benchmark": "ingest", "machine": machine(), "params": vars(args)}
    result["sqlite"] = run("sqlite", args, models_dir)
    if postgres_available():
        result["postgresql"] = run("postgresql", args, models_dir)
    else:
        result["postgresql"] = {"skipped": "PostgreSQL not reachable"}
    write_result("ingest", result)


if __name__ == "__main__":
    main()
