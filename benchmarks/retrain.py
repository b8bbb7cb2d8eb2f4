"""Retraining time for 10,000 and 100,000 feedback rows (local provider, real engine).

Fills an SQLite database with messages imported with a topic label, suggestions, ratings,
agent replies and the training examples they produced, and agents' topic corrections on 1% of
the messages (to a topic the imported labels do not have). Then times one `retrain` run:
collecting the worst prompts, exporting and delivering the dataset, copying the live models,
refitting the team's topic head on the labelled rows (at most `retrain_max_labelled_rows`),
refitting the confidence calibration and rebuilding the reply memory. The head refit is also
timed on its own, and within it the reading and embedding of the labelled rows. Writes benchmarks/results/retrain.json.

    python -m benchmarks.retrain [--rows 10000 100000] [--models-dir DIR]

The live models come from --models-dir (trained there first when missing; not timed).
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
TEMPLATES = [
    "Question {n} about my {topic} case {n}?",
    "Hello, I still have a problem with my {topic} (ticket {n}), can you help?",
    "My {topic} request from last week has not been handled yet, reference {n}.",
    "Could someone look at the {topic} issue on account {n} please",
]
CORRECTED_TOPIC = "gift-cards"
CORRECTED_EVERY = 100


def _body(n: int) -> str:
    if n % CORRECTED_EVERY == 0:
        return f"My gift card {n} shows a zero balance although I never used it."
    return TEMPLATES[n % len(TEMPLATES)].format(n=n, topic=TOPICS[n % 5])


def fill(url: str, data_dir: Path, rows: int) -> None:
    from smartinbox.config import Settings
    from smartinbox.db import get_engine, session_scope
    from smartinbox.feedback.training import prompt_hash
    from smartinbox.migrations import runner
    from smartinbox.models import (
        AgentReply,
        AIReply,
        Feedback,
        LabelCorrection,
        Message,
        TrainingExample,
    )
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
                {"channel": "bench", "external_id": str(n), "body": _body(n), "status": "replied",
                 "source": "import", "label_topic": TOPICS[n % 5]} for n in ids])  # fmt: skip
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
                {"prompt": _body(n),
                 "completion": f"Case {n}: your {TOPICS[n % 5]} request is resolved today.",
                 "source": "correction", "weight": 2.0, "message_id": first + i,
                 "content_hash": prompt_hash(_body(n)),
                 "not_useful_count": 6 if n % 5 == 0 else 1} for i, n in enumerate(ids)])  # fmt: skip
            conn.execute(insert(LabelCorrection), [
                {"message_id": first + i, "field": "topic", "old_value": TOPICS[n % 5],
                 "value": CORRECTED_TOPIC} for i, n in enumerate(ids) if n % CORRECTED_EVERY == 0
            ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--models-dir", type=Path, default=None)
    args = parser.parse_args()
    from smartinbox.ai.training import ensure_models
    from smartinbox.config import Settings
    from smartinbox.feedback import team_heads
    from smartinbox.feedback.retrain import run

    models_dir = args.models_dir or Settings().resolved_models_dir()
    live = ensure_models(models_dir)
    refit = team_heads.refit
    head_seconds: list[float] = []

    refit_started: list[float] = []
    embedding: list[float] = []

    def progress(step: str, _fraction: float) -> None:
        if step.startswith("embedding"):
            embedding.append(time.perf_counter())

    def timed_refit(*a: Any, **kw: Any) -> Any:
        started = time.perf_counter()
        refit_started[:] = [started]
        try:
            return refit(*a, **kw)
        finally:
            head_seconds.append(time.perf_counter() - started)

    # local_retrain calls team_heads.refit through the module, so the timed one is used.
    team_heads.refit = timed_refit
    runs: list[dict[str, Any]] = []
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/retrain.db"
            fill(url, Path(tmp) / "data", rows)
            settings = Settings(
                database_url=url, data_dir=Path(tmp) / "data", models_dir=models_dir
            )
            head_seconds.clear()
            embedding.clear()
            started = time.perf_counter()
            result = run(settings, provider="local", progress=progress)
            seconds = time.perf_counter() - started
            topic = result.dataset.get("triage_heads", {}).get("topic", {})
            runs.append({
                "feedback_rows": rows,
                "seconds": round(seconds, 2),
                "head_refit_seconds": round(sum(head_seconds), 2),
                # From the start of the refit to the last embedded chunk (reading the rows too).
                "head_embedding_seconds": round(embedding[-1] - refit_started[0], 2)
                if embedding and refit_started else None,
                "status": result.status,
                "worst_prompts": result.dataset.get("worst_prompts"),
                "snoozed_answered": result.dataset.get("snoozed_answered"),
                "topic_head_trained": topic.get("trained"),
                "topic_rows": topic.get("rows"),
                "topic_corrections": topic.get("corrections"),
                "topic_imported": topic.get("imported"),
                "topic_imported_available": topic.get("imported_available"),
                "max_labelled_rows": settings.retrain_max_labelled_rows,
                "live_models": live.get("version"),
                "error": result.error,
            })  # fmt: skip
            print(runs[-1], flush=True)
    write_result("retrain", {"machine": machine(), "runs": runs})


if __name__ == "__main__":
    main()
