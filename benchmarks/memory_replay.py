"""A process start that remembers N replies again: with and without the database's vectors.

Every process replays the approved replies of the live version into its reply memory when it
first uses the engine, and a retrained version's whole reply memory is remembered when it is
loaded (smartinbox/versions/engines.py). This measures that replay for N distinct customer
messages (CLINC150 training utterances, each given a Bitext reply) on a migrated database:

* `no_cache`: the messages embedded by the model, as without `SMARTINBOX_MEMORY_VECTOR_CACHE`;
* `first_start`: the first process with the cache: embedded, then stored in the database;
* `next_start`: a new engine on the same database: vectors and topics read back.

`same_answers` is the share of probe queries whose five nearest replies (and their topics) are
the same in the `no_cache` and `next_start` engines: reading vectors back changes nothing.

    python -m benchmarks.memory_replay [--items 10000] [--database-url URL] [--models DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine, write_result
from benchmarks.engine_targets import DATA
from smartinbox.ai.embedder import MiniLMEmbedder
from smartinbox.ai.engine import MemoryItem, use_vector_cache
from smartinbox.ai.providers.local import LocalEngine
from smartinbox.ai.training import ensure_models, load_local_engine
from smartinbox.config import Settings
from smartinbox.migrations import runner
from smartinbox.versions.engines import REPLAY_BATCH
from smartinbox.versions.vector_cache import DatabaseVectorCache

PROBES = 200


def items(count: int) -> list[MemoryItem]:
    clinc = json.loads((DATA / "clinc150-oos" / "data_full.json").read_text())
    messages = list(dict.fromkeys(text for text, _ in clinc["train"]))[:count]
    path = DATA / "bitext-customer-support" / "bitext_customer_support_4514.csv"
    with path.open(encoding="utf-8") as f:
        replies = [row["response"] for row in csv.DictReader(f)]
    return [
        MemoryItem(m, replies[n % len(replies)], "agent_reply", f"message:{n}")
        for n, m in enumerate(messages)
    ]


def replay(engine: LocalEngine, todo: list[MemoryItem]) -> float:
    started = time.perf_counter()
    for start in range(0, len(todo), REPLAY_BATCH):
        engine.remember(todo[start : start + REPLAY_BATCH])
    return round(time.perf_counter() - started, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    parser.add_argument(
        "--models", type=Path, default=None, help="default: the configured models folder"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        settings = Settings(database_url=url, data_dir=Path(tmp) / "data")
        runner.upgrade(settings)
        # The models `smartinbox models train` wrote (trained here if there are none).
        models = args.models or Settings().resolved_models_dir()
        ensure_models(models)
        embedder = MiniLMEmbedder()
        todo = items(args.items)

        def engine(cached: bool) -> LocalEngine:
            loaded = load_local_engine(models, embedder=embedder)
            use_vector_cache(loaded, DatabaseVectorCache(settings) if cached else None)
            return loaded

        result: dict[str, Any] = {"machine": machine(), "items": len(todo)}
        result["backend"] = "postgresql" if url.startswith("postgresql") else "sqlite"
        embedder.clear_cache()
        plain = engine(cached=False)
        result["no_cache_s"] = replay(plain, todo)
        embedder.clear_cache()
        result["first_start_s"] = replay(engine(cached=True), todo)
        embedder.clear_cache()
        warm = engine(cached=True)
        result["next_start_s"] = replay(warm, todo)
        result["next_start_per_item_ms"] = round(result["next_start_s"] * 1000 / len(todo), 3)
        result["speed_up"] = round(result["no_cache_s"] / max(result["next_start_s"], 1e-9), 1)
        probes = [i.message + " please" for i in todo[:: max(len(todo) // PROBES, 1)]]
        vectors = embedder.embed(probes)
        same = 0
        for vector in vectors:
            a = [(n.position, n.entry.topic) for n in plain.memory.search(vector, 5)]
            b = [(n.position, n.entry.topic) for n in warm.memory.search(vector, 5)]
            same += a == b
        result["same_answers"] = round(same / len(probes), 4)
    write_result("memory_replay", result)


if __name__ == "__main__":
    main()
