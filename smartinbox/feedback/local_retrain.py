"""The `local` retraining provider: retrain the offline models and rebuild the reply memory.

A candidate lives in its own folder (<data_dir>/versions/<tag>/): the trained models (the
team's triage heads refitted on its labels, the confidence refitted on agents' decisions), and
the reply memory rebuilt from every reply agents wrote or approved. Nothing the live version uses
is touched, so a candidate can be evaluated side by side and promoted or thrown away.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from smartinbox.ai.artifacts import file_sha256
from smartinbox.ai.engine import Engine, MemoryItem, VectorCache, use_vector_cache
from smartinbox.config import Settings
from smartinbox.feedback import repository as repo
from smartinbox.feedback import team_heads
from smartinbox.feedback.jsonl import json_line
from smartinbox.feedback.training import is_junk

Progress = Callable[[str, float], None]
if TYPE_CHECKING:
    from smartinbox.ai.embedder import MiniLMEmbedder

MEMORY_FILE = "reply_memory.jsonl"
REMEMBER_BATCH = 256


def version_dir(settings: Settings, tag: str) -> Path:
    return settings.resolved_data_dir() / "versions" / tag


def memory_items(session: Session) -> Iterator[MemoryItem]:
    """Every reply agents wrote or approved (merged examples), and answered snoozed messages."""
    seen: set[int] = set()
    for ex in repo.iter_examples(session):
        if not is_junk(ex.completion):
            ref = f"message:{ex.message_id}" if ex.message_id else f"example:{ex.id}"
            if ex.message_id:
                seen.add(ex.message_id)
            yield MemoryItem(ex.prompt, ex.completion, "agent_reply", ref)
    for mid, message, reply in repo.snoozed_and_answered(session):
        if mid not in seen and not is_junk(reply):  # not already there as an example
            yield MemoryItem(message, reply, "agent_reply", f"message:{mid}")


def write_memory(items: Iterator[MemoryItem], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    count = 0
    with partial.open("w", encoding="utf-8") as fh:
        for item in items:
            row = {"message": item.message, "reply": item.reply, "source": item.source,
                   "ref_id": item.ref_id, "topic": item.topic}  # fmt: skip
            fh.write(json_line(row))
            count += 1
        fh.flush()
        os.fsync(fh.fileno())
    partial.replace(path)
    return count


def read_memory(path: Path) -> Iterator[MemoryItem]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            yield MemoryItem(row["message"], row["reply"], row["source"], row.get("ref_id"),
                             row.get("topic"))  # fmt: skip


def retrain(
    settings: Settings, session: Session, tag: str, progress: Progress | None = None
) -> dict[str, Any]:
    """Train the candidate's models and write its reply memory; returns its artifacts record
    (with the report of the triage heads' labelled rows)."""
    from smartinbox.ai.artifacts import MANIFEST
    from smartinbox.ai.training import train_default_models

    folder = version_dir(settings, tag)
    models = folder / "models"
    live = settings.resolved_models_dir()
    if (live / MANIFEST).exists():
        # The shipped heads learn from the bundled data only, and training is deterministic:
        # the live models are what a new training would produce, so the candidate starts from
        # a copy of them.
        if models.exists():
            shutil.rmtree(models)
        shutil.copytree(live, models)
        manifest = json.loads((models / MANIFEST).read_text())
    else:
        manifest = train_default_models(models, progress)
    # The team's own heads (its topics and kinds) learn from every label the database holds.
    heads, refitted = team_heads.refit(settings, session, models, progress)
    manifest = refitted or manifest
    # The confidence is refitted on agents' real decisions once there are enough of them.
    from smartinbox.ai.team_training import store_calibration
    from smartinbox.feedback.outcomes import acceptance_outcomes

    calibrated = store_calibration(models, *acceptance_outcomes(session))
    manifest = calibrated or manifest
    memory_path = folder / MEMORY_FILE
    count = write_memory(memory_items(session), memory_path)
    return {
        "models_dir": str(models),
        "models_version": manifest.get("version"),
        "reply_memory": str(memory_path),
        "reply_memory_items": count,
        "reply_memory_sha256": file_sha256(memory_path),
        "triage_heads": heads,
    }


def load_candidate(
    artifacts: dict[str, Any],
    embedder: MiniLMEmbedder | None = None,
    vector_cache: VectorCache | None = None,
    screen: Callable[[list[MemoryItem]], list[MemoryItem]] | None = None,
) -> Engine:
    """The engine of a local version: its models plus its rebuilt reply memory (vectors read
    from `vector_cache` where it has them), each batch passed through `screen` (the memory
    review's overrides) when given."""
    from smartinbox.ai.training import load_local_engine

    engine: Engine = load_local_engine(Path(artifacts["models_dir"]), embedder=embedder)
    use_vector_cache(engine, vector_cache)
    batch: list[MemoryItem] = []
    for item in read_memory(Path(artifacts["reply_memory"])):
        batch.append(item)
        if len(batch) >= REMEMBER_BATCH:
            engine.remember(screen(batch) if screen else batch)
            batch = []
    if batch:
        engine.remember(screen(batch) if screen else batch)
    return engine
