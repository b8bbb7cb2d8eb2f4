"""Retraining time for 10,000 and 100,000 feedback rows (local provider).

Fills an SQLite database with messages, suggestions, "not useful" ratings, agent replies and
the training examples they produced, then times one `retrain` run: collecting the worst
prompts, exporting and delivering the dataset, training the candidate's models and rebuilding
its reply memory. Writes benchmarks/results/retrain.json.

    python -m benchmarks.retrain [--rows 10000 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from benchmarks.common import machine, write_result

TOPICS = ["refund", "shipping", "billing", "account", "order"]


def fill(url: str, data_dir: Path, rows: int) -> None:
    from smartinbox.config import Settings
    from smartinbox.db import get_engine, session_scope
    from smartinbox.feedback.training import prompt_hash
    from smartinbox.migrations import runner
    from smartinbox.models import AgentReply, AIReply, Feedback, Message, TrainingExample
    from smartinbox.versions.service import live_version

    settings = Settings(database_url=url, data_dir=data_dir)
    runner.upgrade(settings)
    with session_scope(settings) as session:
        version_id = live_version(session).id
    engine = get_engine(settings)
    with engine.begin() as conn:
        for start in range(0, rows, 10000):
            ids = range(start, min(rows, start + 10000))
            conn.execute(insert(Message), [
                {"channel": "bench", "external_id": str(n), "body": f"Question {n} about my {TOPICS[n % 5]} case {n}?",
                 "status": "replied"} for n in ids])  # fmt: skip
            first = conn.scalar(select(Message.id).where(Message.external_id == str(start)))
            assert first is not None
            conn.execute(insert(AIReply), [
                {"message_id": first + i, "text": "Thanks for your message.", "confidence": 0.2,
                 "snoozed": n % 10 == 0, "model": "bench", "assistant_version_id": version_id}
                for i, n in enumerate(ids)])  # fmt: skip
            conn.execute(insert(Feedback), [
                {"message_id": first + i, "useful": n % 3 != 0, "is_current": True} for i, n in enumerate(ids)
            ])  # fmt: skip
            conn.execute(insert(AgentReply), [
                {"message_id": first + i, "text": f"Case {n}: your {TOPICS[n % 5]} request is resolved today.",
                 "usage": "replaced"} for i, n in enumerate(ids)])  # fmt: skip
            conn.execute(insert(TrainingExample), [
                {"prompt": f"Question {n} about my {TOPICS[n % 5]} case {n}?",
                 "completion": f"Case {n}: your {TOPICS[n % 5]} request is resolved today.",
                 "source": "correction", "weight": 2.0, "message_id": first + i,
                 "content_hash": prompt_hash(f"Question {n} about my {TOPICS[n % 5]} case {n}?"),
                 "not_useful_count": 6 if n % 5 == 0 else 1} for i, n in enumerate(ids)])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    from smartinbox.ai import training
    from smartinbox.config import Settings
    from smartinbox.feedback.retrain import run

    runs: list[dict[str, Any]] = []
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/retrain.db"
            fill(url, Path(tmp) / "data", rows)
            settings = Settings(database_url=url, data_dir=Path(tmp) / "data")
            started = time.perf_counter()
            result = run(settings, provider="local")
            seconds = time.perf_counter() - started
            runs.append({
                "feedback_rows": rows,
                "seconds": round(seconds, 2),
                "status": result.status,
                "worst_prompts": result.dataset.get("worst_prompts"),
                "snoozed_answered": result.dataset.get("snoozed_answered"),
                "engine": "local" if hasattr(training, "load_local_engine") else "placeholder (no model training)",
            })  # fmt: skip
            print(runs[-1], flush=True)
    write_result("retrain", {"machine": machine(), "runs": runs})


if __name__ == "__main__":
    main()
