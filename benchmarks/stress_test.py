"""Wall time and peak memory of a 1,000-query stress test with the local provider.

Fills a fresh SQLite database with real customer questions (the bundled Bitext sample) rated
"not useful", each with the agent's reply; builds a candidate whose reply memory holds those
replies; then times `stress.start` + `stress.execute` (two engines, the judge on both replies,
one row per query in ai_stress_test_log). Writes benchmarks/results/stress_test.json, with the
wall time, the CPU seconds of the process and the load average around the run (on a shared
machine the wall time depends on the other work).

    python -m benchmarks.stress_test [--queries 1000] [--workers 2] [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine, write_result


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> float:
    # On a machine shared with other work, wall time depends on it; the CPU seconds less so.
    return os.getloadavg()[0]


def fill(settings: Any, queries: int) -> None:
    from smartinbox.ai.artifacts import file_sha256
    from smartinbox.ai.corpus import bitext_rows
    from smartinbox.ai.engine import MemoryItem
    from smartinbox.db import session_scope
    from smartinbox.feedback.local_retrain import write_memory
    from smartinbox.models import AssistantVersion, FeedbackReplayLog
    from smartinbox.versions.service import live_version

    rows = random.Random(7).sample(bitext_rows(), queries)
    memory = settings.resolved_data_dir() / "versions" / "v1.1" / "reply_memory.jsonl"
    write_memory(
        (
            MemoryItem(r.instruction, r.response, "agent_reply", f"b:{i}")
            for i, r in enumerate(rows)
        ),
        memory,
    )
    with session_scope(settings) as session:
        live = live_version(session)
        session.add_all(
            FeedbackReplayLog(message=r.instruction, ai_reply="Thanks for your message.",
                              agent_reply=r.response, feedback="no", topic=r.category.lower(),
                              assistant_version_id=live.id)
            for r in rows
        )  # fmt: skip
        session.add(
            AssistantVersion(version_tag="v1.1", provider="local", status="candidate",
                             artifacts={"models_dir": str(settings.resolved_models_dir()),
                                        "reply_memory": str(memory),
                                        "reply_memory_sha256": file_sha256(memory)})
        )  # fmt: skip


def run(queries: int, workers: int, models_dir: Path | None) -> dict[str, Any]:
    from smartinbox.ai.training import ensure_models
    from smartinbox.config import Settings
    from smartinbox.db import session_scope
    from smartinbox.evaluation import stress
    from smartinbox.migrations import runner

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/bench.db", data_dir=Path(tmp) / "data",
                            models_dir=models_dir, stress_test_workers=workers)  # fmt: skip
        runner.upgrade(settings)
        ensure_models(settings.resolved_models_dir())
        fill(settings, queries)
        rss_before, load_before, cpu_before = _rss_mb(), _load(), _cpu_s()
        started = time.perf_counter()
        with session_scope(settings) as session:
            live, cand = stress.resolve_versions(session, "v1.1")
            items = stress.from_replays(session, 30, queries)
            run_id = stress.start(session, items, live, cand, {"source": "benchmark"}).id
        summary = stress.execute(settings, run_id)
        wall = time.perf_counter() - started
        cpu = _cpu_s() - cpu_before
    return {
        "benchmark": "stress_test",
        "queries": queries,
        "workers": workers,
        "wall_s": round(wall, 2),
        "queries_per_s": round(queries / wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_rss_mb": _rss_mb(),
        "rss_before_run_mb": rss_before,
        "load_average_1m": {"start": round(load_before, 2), "end": round(_load(), 2)},
        "target_wall_s": 60,
        "summary": {
            k: summary[k]
            for k in (
                "rows",
                "wins",
                "ties",
                "losses",
                "mean_score_live",
                "mean_score_candidate",
                "p95_latency_ms",
                "latency_ms",
                "drift",
            )
        },
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--models-dir", type=Path, default=None)
    args = parser.parse_args()
    write_result("stress_test", run(args.queries, args.workers, args.models_dir))


if __name__ == "__main__":
    main()
