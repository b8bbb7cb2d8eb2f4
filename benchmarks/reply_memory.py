"""The reply memory at 100,000 replies: suggestion latency, a serve process's RSS, ingest latency.

Three targets (docs/engine.md, "Measured against the targets"):

* suggestion p95 < 50 ms with 100,000 replies in the memory (in-process `suggest()`, the
  embedding of the new message included: every query text is new to the embedder's cache);
* peak RSS < 1 GB of a real `smartinbox serve` process (embedded worker on) whose engine holds
  that memory, after it has loaded it and answered messages;
* one message ingested through the API until its analysis and suggestion are stored, p95
  < 150 ms, local provider, on that same process.

The 100,000 entries are the trained models' seed replies (Bitext, 4,514 real request/reply pairs
with their MiniLM vectors) repeated with a per-copy suffix on the message, each copy's vector
the original plus Gaussian noise (sigma 0.02 per dimension), re-normalised: search costs the
same for any vectors, and embedding 100,000 texts would take this benchmark most of an hour on
two cores. They are written into a copy of the models folder as its seed memory
(`memory.npz`, `memory.json.gz`), the format the engine loads at start.

    python -m benchmarks.reply_memory [--entries 100000] [--queries 300] [--probes 60]
        [--models DIR] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.common import (
    ROOT,
    Deployment,
    machine,
    postgres_available,
    summary_ms,
    write_result,
)
from benchmarks.ingest import TEXTS, bench_analysis

QUERIES = [
    "Where is my order {n}? It should have arrived last week.",
    "I want a refund for order {n}, the item is broken.",
    "How can I change the shipping address of order {n}?",
    "Please cancel my subscription, reference {n}.",
    "I was charged twice this month ({n}), can you fix it?",
    "Can I pay invoice {n} by bank transfer?",
    "My account {n} is locked after too many login attempts.",
    "Do you ship to Canada? Asking about order {n}.",
]


def build_models(source: Path, target: Path, entries: int, seed: int = 0) -> dict[str, Any]:
    """A copy of `source` whose seed reply memory holds `entries` replies."""
    from smartinbox.ai.artifacts import (
        gzip_json_lines_bytes,
        iter_gzip_json_rows,
        load_npz,
        npz_bytes,
        read_verified,
        update_model_dir,
    )

    shutil.copytree(source, target)
    _manifest, files = read_verified(target)
    arrays = load_npz(files["memory.npz"])
    rows = list(iter_gzip_json_rows(files["memory.json.gz"]))
    base = np.asarray(arrays["vectors"], dtype=np.float32)
    rng = np.random.default_rng(seed)
    out_rows: list[list[Any]] = []
    vectors = np.empty((entries, base.shape[1]), dtype=np.float32)
    for i in range(entries):
        j = i % len(rows)
        message, reply, template, _source, _ref, topic = rows[j]
        copy = i // len(rows)
        text = message if copy == 0 else f"{message} (ticket {copy}-{j})"
        out_rows.append([text, reply, template, "history", f"bench:{i}", topic])
    for start in range(0, entries, 10_000):
        stop = min(entries, start + 10_000)
        block = base[np.arange(start, stop) % len(base)]
        noise = rng.normal(0.0, 0.02, block.shape).astype(np.float32)
        noise[: max(0, len(rows) - start)] = 0.0  # the first copy is the real vectors
        block = block + noise
        vectors[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    started = time.perf_counter()
    update_model_dir(
        target,
        {
            "memory.npz": npz_bytes({"vectors": vectors, "active": np.ones(entries, dtype=bool)}),
            "memory.json.gz": gzip_json_lines_bytes(out_rows),
        },
        {"benchmark_memory_entries": entries},
    )
    sizes = {n: (target / n).stat().st_size for n in ("memory.npz", "memory.json.gz")}
    return {"entries": entries, "write_s": round(time.perf_counter() - started, 2), "bytes": sizes}


def rss_mb() -> dict[str, float]:
    status = Path("/proc/self/status").read_text()
    return {k: _kb(status, k) / 1024 for k in ("VmRSS", "VmHWM")}


def _kb(status: str, key: str) -> float:
    for line in status.splitlines():
        if line.startswith(key + ":"):
            return float(line.split()[1])
    return float("nan")


def bench_suggest(models_dir: Path, queries: int, seed: int = 0) -> dict[str, Any]:
    from smartinbox.ai.engine import MessageInput
    from smartinbox.ai.training import load_local_engine

    before = rss_mb()["VmRSS"]
    started = time.perf_counter()
    engine = load_local_engine(models_dir)
    load_s = time.perf_counter() - started
    gc.collect()
    loaded = rss_mb()
    rnd = random.Random(seed)
    texts = [rnd.choice(QUERIES).format(n=rnd.randint(10**5, 10**9)) for _ in range(queries)]
    # Warm-up on other texts: the first ONNX runs allocate their buffers.
    for text in ("hello", "where is my parcel", "refund please"):
        engine.suggest(MessageInput(text), engine.analyze([MessageInput(text)])[0])
    triages = engine.analyze([MessageInput(t) for t in texts])
    search, suggest = [], []
    for text, triage in zip(texts, triages, strict=True):
        vector = engine.embedder.embed([text + " (search only)"])[0]
        t0 = time.perf_counter()
        engine.memory.search(vector, 5)
        search.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        engine.suggest(MessageInput(text), triage)  # embeds `text`: not in the cache yet
        suggest.append(time.perf_counter() - t0)
    return {
        "memory_entries": len(engine.memory),
        "load_s": round(load_s, 2),
        "rss_before_load_mb": round(before, 1),
        "rss_after_load_mb": round(loaded["VmRSS"], 1),
        "peak_rss_mb": round(rss_mb()["VmHWM"], 1),
        "queries": queries,
        "suggest": summary_ms(suggest),
        "search_only": summary_ms(search),
    }


def _proc_mb(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    return {"rss_mb": round(_kb(status, "VmRSS") / 1024, 1),
            "peak_rss_mb": round(_kb(status, "VmHWM") / 1024, 1)}  # fmt: skip


def bench_serve(backend: str, models_dir: Path, probes: int, gap_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        dep = Deployment(backend, Path(tmp), models_dir).start(worker=True)
        try:
            assert dep.proc is not None
            idle = _proc_mb(dep.proc.pid)
            with httpx.Client(base_url=dep.url, headers=dep.headers, timeout=300) as client:
                started = time.perf_counter()
                r = client.post("/api/messages", json={"channel": "bench", "external_id": "warm",
                                                       "body": TEXTS[0].format(n=1)})  # fmt: skip
                mid = r.json()["id"]
                while client.get(f"/api/messages/{mid}").json().get("suggestion") is None:
                    time.sleep(0.2)
                first_s = time.perf_counter() - started
            loaded = _proc_mb(dep.proc.pid)
            latency = bench_analysis(dep, probes, gap_s)
            after = _proc_mb(dep.proc.pid)
            return {
                "backend": backend,
                "before_engine_load": idle,
                "after_engine_load": loaded,
                "after_probes": after,
                "first_message_to_suggestion_s": round(first_s, 2),
                "ingest": latency,
            }
        finally:
            dep.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--probes", type=int, default=60)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between ingest probes")
    parser.add_argument("--models", type=Path, default=ROOT / "var" / "bench-models")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--skip-serve", action="store_true")
    parser.add_argument(
        "--compare-default",
        action="store_true",
        help="also run the serve figures on the unmodified models (4,514 seed replies)",
    )
    args = parser.parse_args()
    from smartinbox.ai.training import ensure_models

    ensure_models(args.models)
    result: dict[str, Any] = {"benchmark": "reply_memory", "machine": machine(),
                              "params": {k: str(v) for k, v in vars(args).items()}}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "models"
        result["memory"] = build_models(args.models, big, args.entries)
        result["suggest_in_process"] = bench_suggest(big, args.queries)
        if not args.skip_serve:
            if args.backend == "postgresql" and not postgres_available():
                result["serve"] = {"skipped": "PostgreSQL not reachable"}
            else:
                result["serve"] = bench_serve(args.backend, big, args.probes, args.gap)
                if args.compare_default:
                    result["serve_default_memory"] = bench_serve(
                        args.backend, args.models, args.probes, args.gap
                    )
    result["targets"] = {
        "suggest_p95_ms_lt_50": result["suggest_in_process"]["suggest"]["p95_ms"] < 50,
    }
    serve = result.get("serve") or {}
    if "after_probes" in serve:
        peak = max(serve["after_probes"]["peak_rss_mb"], serve["after_engine_load"]["peak_rss_mb"])
        result["targets"]["serve_peak_rss_mb_lt_1024"] = peak < 1024
        p95 = serve["ingest"]["ingest_to_suggestion"]["p95_ms"]
        result["targets"]["ingest_to_suggestion_p95_ms_lt_150"] = p95 < 150
    write_result("reply_memory", result)


if __name__ == "__main__":
    main()
