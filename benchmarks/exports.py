"""Export throughput and peak memory: training data as validated JSONL and as CSV.

Fills an SQLite database (migrated with Alembic) with N training examples, then runs each
export in a fresh child process and reads that process's peak resident memory, so the figure
is the export's own. Writes benchmarks/results/exports.json.

    python -m benchmarks.exports [--rows 1000000] [--small 100000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import insert

from benchmarks.common import machine, write_result

TEMPLATES = [
    ("Where is my order {n}? It was due on Monday, mail me at user{n}@example.com.",
     "Your order {n} left our warehouse today; tracking follows by e-mail."),
    ("I was charged twice for invoice INV-{n}, please refund one.",
     "Sorry about that: the duplicate charge for INV-{n} is refunded within 3-5 days."),
    ("How do I reset my password? Call me on +1 415 {n3} {n4}.",
     "Use 'Forgot password' on the login page; the link is valid for one hour."),
]  # fmt: skip


def fill(url: str, rows: int) -> float:
    from smartinbox.config import Settings
    from smartinbox.db import get_engine
    from smartinbox.feedback.training import prompt_hash
    from smartinbox.migrations import runner
    from smartinbox.models import TrainingExample

    settings = Settings(database_url=url)
    runner.upgrade(settings)
    engine = get_engine(settings)
    started = time.perf_counter()
    chunk: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for n in range(rows):
            prompt, completion = TEMPLATES[n % len(TEMPLATES)]
            p = prompt.format(n=n, n3=f"{n // 10000:03d}", n4=f"{n % 10000:04d}")
            chunk.append({"prompt": p, "completion": completion.format(n=n), "source": "correction",
                          "weight": 2.0, "content_hash": prompt_hash(p), "not_useful_count": n % 9})  # fmt: skip
            if len(chunk) == 20000:
                conn.execute(insert(TrainingExample), chunk)
                chunk = []
        if chunk:
            conn.execute(insert(TrainingExample), chunk)
    return time.perf_counter() - started


def _export(url: str, fmt: Literal["csv", "jsonl"], out: str, queue: Any) -> None:
    from smartinbox.config import Settings
    from smartinbox.db import session_scope
    from smartinbox.feedback import exports

    settings = Settings(database_url=url)
    started = time.perf_counter()
    with session_scope(settings, write=False) as session:
        report = exports.export_training(
            session,
            settings,
            fmt,
            Path(out),
            exports.TrainingQuery(redact_pii=True),
        )
    queue.put({"seconds": time.perf_counter() - started, "report": report.to_dict()})


def measure(url: str, fmt: Literal["csv", "jsonl"], out: Path) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_export, args=(url, fmt, str(out), queue))
    proc.start()
    result = queue.get()
    proc.join()
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows = result["report"]["rows"]
    return {
        "format": fmt,
        "rows": rows,
        "seconds": round(result["seconds"], 2),
        "rows_per_s": round(rows / result["seconds"]),
        "file_mib": round(out.stat().st_size / 2**20, 1),
        "peak_rss_mib_so_far": round(peak_mib, 1),
        "validation": result["report"].get("validation"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (args.small, args.rows):
            url = f"sqlite:///{tmp}/exports-{rows}.db"
            fill_s = fill(url, rows)
            for fmt in ("jsonl", "csv"):
                run = measure(url, fmt, Path(tmp) / f"out-{rows}.{fmt}")
                run["fill_seconds"] = round(fill_s, 1)
                runs.append(run)
                print(run, flush=True)
    # RUSAGE_CHILDREN is the largest child so far: runs are ordered small to large, so a flat
    # figure from the small to the large run shows memory does not grow with the row count.
    write_result("exports", {"machine": machine(), "runs": runs})


if __name__ == "__main__":
    main()
