"""Scale-out: wall time to analyse a backlog with 1 and with 2 `smartinbox worker` processes.

PostgreSQL + Redis, `smartinbox serve --no-worker` on loopback. For each worker count a fresh
deployment receives the messages through the API (batches of 1,000) with no worker running,
then the workers start and the clock runs until every message has an analysis and a current
suggestion (also reported from the first stored analysis on, which leaves out the workers'
start-up). Duplicates are counted too (there must be none). Writes
benchmarks/results/scale_out.json. On a machine with fewer cores than worker threads the
second worker cannot help much: the figures say what this machine did.

    python -m benchmarks.scale_out [--messages 10000] [--workers 1,2,1,2] [--threads 1]
        [--model-threads 1]

`--threads` is each worker's job threads, `--model-threads` its `SMARTINBOX_MODEL_THREADS`
(0: the worker's own choice, cores divided by threads). With 1 and 1, one worker uses one
core and N workers N cores, which is the layout whose scaling the run measures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from benchmarks.common import ROOT, Deployment, machine, postgres_available, write_result

COUNTS = text(
    "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM analyses),"
    " (SELECT count(*) FROM ai_replies WHERE is_current),"
    " (SELECT count(DISTINCT message_id) FROM ai_replies WHERE is_current)"
)
BODIES = [
    "Where is my order {n}? It was due on Monday.",
    "I was charged twice for invoice INV-{n}, please refund one.",
    "Can I change the delivery address for order {n}?",
    "How do I reset my password? The email never arrives.",
]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a live process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(workers: int, args: argparse.Namespace, models_dir: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        dep = Deployment(
            "postgresql", Path(tmp), models_dir, queue_name=f"scale-{uuid.uuid4().hex[:8]}",
            extra_env={"SMARTINBOX_TRAIN_ON_START": "false"},
        )  # fmt: skip
        try:
            dep.start(worker=False)
            with httpx.Client(base_url=dep.url, headers=dep.headers, timeout=300) as client:
                for start in range(0, args.messages, 1000):
                    batch = [
                        {"channel": "scale", "external_id": f"m-{i}",
                         "body": BODIES[i % len(BODIES)].format(n=100000 + i)}
                        for i in range(start, min(start + 1000, args.messages))
                    ]  # fmt: skip
                    client.post("/api/messages/batch", json={"messages": batch}).raise_for_status()
            engine = create_engine(dep.env["SMARTINBOX_DATABASE_URL"])
            started = time.perf_counter()
            load_before = os.getloadavg()[0]
            dep.start_workers(workers, threads=args.threads, model_threads=args.model_threads)
            counts: tuple[int, ...] = (0, 0, 0, 0)
            first: float | None = None  # the first analysis stored: the workers are up
            with engine.connect() as conn:
                while time.perf_counter() - started < args.timeout_s:
                    counts = tuple(int(v) for v in conn.execute(COUNTS).one())
                    conn.rollback()
                    if first is None and counts[1]:
                        first = time.perf_counter()
                    if counts[1] >= args.messages and counts[3] >= args.messages:
                        break
                    time.sleep(0.5)
            elapsed = time.perf_counter() - started
            cpu_s = sum(cpu_seconds(p.pid) for p in dep.workers)
            processing = time.perf_counter() - (first or started)
            engine.dispose()
            return {
                "workers": workers,
                "threads_per_worker": args.threads,
                "model_threads": args.model_threads,
                "messages": counts[0],
                "analyses": counts[1],
                "current_suggestions": counts[2],
                "messages_with_a_suggestion": counts[3],
                "duplicates": counts[1] - counts[3],
                "seconds": round(elapsed, 1),
                "messages_per_s": round(counts[1] / elapsed, 1),
                # Without the workers' start (loading the models): the steady rate.
                "seconds_after_first_analysis": round(processing, 1),
                "messages_per_s_after_first_analysis": round(counts[1] / processing, 1),
                "finished": counts[1] >= args.messages,
                # CPU the worker processes used: with no duplicated work this stays flat as
                # workers are added, and the speed-up is what the idle cores allow.
                "worker_cpu_s": round(cpu_s, 1),
                "worker_cpu_ms_per_message": round(cpu_s * 1000 / max(counts[1], 1), 2),
                "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            }
        finally:
            dep.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2,1,2")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model-threads", type=int, default=1)
    parser.add_argument("--timeout-s", type=float, default=1800)
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "scale_out", "machine": machine(), "params": vars(args)}
    if not postgres_available():
        result["skipped"] = "PostgreSQL not reachable"
        write_result("scale_out", result)
        return
    from smartinbox.ai.training import ensure_models

    models_dir = Path(os.environ.get("SMARTINBOX_BENCH_MODELS_DIR", ROOT / "var" / "bench-models"))
    ensure_models(models_dir)
    result["runs"] = [run(int(w), args, models_dir) for w in args.workers.split(",")]
    # Against the latest one-worker run before it: `--workers 1,2,1,2` pairs runs made close
    # in time, which matters on a machine whose other load changes.
    one: dict[str, Any] | None = None
    for entry in result["runs"]:
        if entry["workers"] == 1:
            one = entry
        elif one is not None:
            entry["speedup_vs_1"] = round(one["seconds"] / entry["seconds"], 2)
    write_result("scale_out", result)


if __name__ == "__main__":
    main()
