"""Load: sustained ingest while 50 simulated agents browse and rate, at rising ingest rates.

A real `smartinbox serve` (embedded worker) on loopback, SQLite and, when reachable,
PostgreSQL + Redis. One asyncio client process drives it: an open-loop ingest stream at a
target rate (single messages, POST /api/messages) and N agents, each looping with a think
time over: list the inbox, open a message, then rate its suggestion (POST .../feedback) or
send a reply (POST .../reply). Each rate step runs for a fixed time; the report gives per
step the achieved throughput, p50/p95/p99 per kind of request, the error count (5xx and
transport errors; 4xx such as "no suggestion yet" are counted apart) and the first ingest
rate at which latency degrades (ingest or agent p95 over twice the first step's).
Bounded: steps x seconds per backend. Writes benchmarks/results/load.json.

    python -m benchmarks.load [--rates 2,5,10,20,40] [--step-s 15] [--agents 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

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
    "How do I reset my password? The email never arrives.",
]


class Recorder:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.client_errors: dict[str, int] = defaultdict(int)

    async def call(
        self, client: httpx.AsyncClient, kind: str, method: str, url: str, **kw: Any
    ) -> httpx.Response | None:
        t0 = time.perf_counter()
        try:
            r = await client.request(method, url, **kw)
        except httpx.HTTPError:
            self.errors[kind] += 1
            return None
        self.latency[kind].append(time.perf_counter() - t0)
        if r.status_code >= 500:
            self.errors[kind] += 1
        elif r.status_code >= 400:
            self.client_errors[kind] += 1
        return r


async def ingest_stream(
    client: httpx.AsyncClient, rec: Recorder, rate: float, until: float, prefix: str
) -> int:
    sent, start = 0, time.monotonic()
    tasks: set[asyncio.Task[Any]] = set()
    while time.monotonic() < until:
        due = start + sent / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        body = {
            "channel": "load",
            "external_id": f"{prefix}-{sent}",
            "body": random.choice(TEXTS).format(n=100000 + sent),
            "customer": {"email": f"c{sent % 400}@example.com"},
        }
        # open loop: a slow answer does not slow the arrivals down
        task = asyncio.create_task(rec.call(client, "ingest", "POST", "/api/messages", json=body))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        sent += 1
    if tasks:
        await asyncio.gather(*tasks)
    return sent


async def agent(client: httpx.AsyncClient, rec: Recorder, until: float, think_s: float) -> int:
    actions = 0
    while time.monotonic() < until:
        await asyncio.sleep(random.uniform(0.5, 1.5) * think_s)
        page = await rec.call(
            client, "browse", "GET", "/api/messages", params={"page_size": 25, "status": "open"}
        )
        actions += 1
        if page is None or page.status_code != 200 or not page.json()["items"]:
            continue
        item = random.choice(page.json()["items"])
        detail = await rec.call(client, "open", "GET", f"/api/messages/{item['id']}")
        actions += 1
        if detail is None or detail.status_code != 200:
            continue
        await asyncio.sleep(random.uniform(0.5, 1.5) * think_s)
        if random.random() < 0.7:
            body = {"useful": random.random() < 0.6, "score": random.randint(1, 5)}
            await rec.call(
                client, "rate", "POST", f"/api/messages/{item['id']}/feedback", json=body
            )
        else:
            text = "Thanks for writing in, we are looking into it and will update you today."
            await rec.call(client, "reply", "POST", f"/api/messages/{item['id']}/reply", json={"text": text})  # fmt: skip
        actions += 1
    return actions


async def step(dep: Deployment, rate: float, seconds: float, agents: int, think_s: float) -> dict[str, Any]:  # fmt: skip
    rec = Recorder()
    limits = httpx.Limits(max_connections=agents + 50, max_keepalive_connections=agents + 50)
    async with httpx.AsyncClient(
        base_url=dep.url, headers=dep.headers, timeout=60, limits=limits
    ) as client:
        until = time.monotonic() + seconds
        started = time.perf_counter()
        results = await asyncio.gather(
            ingest_stream(client, rec, rate, until, f"r{rate}-{uuid.uuid4().hex[:6]}"),
            *(agent(client, rec, until, think_s) for _ in range(agents)),
        )
        elapsed = time.perf_counter() - started
    sent = results[0]
    ingest_ok = len(rec.latency["ingest"]) - rec.client_errors["ingest"]
    agent_kinds = ("browse", "open", "rate", "reply")
    agent_lat = [v for k in agent_kinds for v in rec.latency[k]]
    return {
        "target_ingest_per_s": rate,
        "seconds": round(elapsed, 1),
        "ingest_sent": sent,
        "ingest_per_s": round(ingest_ok / elapsed, 1),
        "agent_requests_per_s": round(len(agent_lat) / elapsed, 1),
        "errors": sum(rec.errors.values()),
        "errors_by_kind": dict(rec.errors),
        "client_errors_by_kind": dict(rec.client_errors),
        "ingest": summary_ms(rec.latency["ingest"]),
        "agents": summary_ms(agent_lat),
        **{k: summary_ms(rec.latency[k]) for k in agent_kinds if rec.latency[k]},
    }


def _seed(dep: Deployment, n: int) -> None:
    with httpx.Client(base_url=dep.url, headers=dep.headers, timeout=120) as client:
        msgs = [
            {"channel": "seed", "external_id": f"seed-{i}", "body": TEXTS[i % len(TEXTS)].format(n=i)}
            for i in range(n)
        ]  # fmt: skip
        r = client.post("/api/messages/batch", json={"messages": msgs})
        r.raise_for_status()
    time.sleep(5)  # let the worker suggest replies for some, so agents have something to rate


def degradation(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The first rate whose p95 doubles, or that errs or falls behind (NaN: nothing finished)."""
    base_ingest = steps[0]["ingest"]["p95_ms"]
    base_agents = steps[0]["agents"]["p95_ms"]
    for s in steps:
        p95_i, p95_a = s["ingest"]["p95_ms"], s["agents"]["p95_ms"]
        slow = not (p95_i <= 2 * base_ingest and p95_a <= 2 * base_agents)  # NaN counts as slow
        behind = s["ingest_per_s"] < 0.8 * s["target_ingest_per_s"]
        if slow or behind or s["errors"]:
            return {"degrades_at_ingest_per_s": s["target_ingest_per_s"],
                    "why": {"p95_doubled": slow, "fell_behind": behind, "errors": s["errors"]}}  # fmt: skip
    return {"degrades_at_ingest_per_s": None, "note": "no step erred, fell behind or doubled p95"}


def run(backend: str, args: argparse.Namespace, models_dir: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        dep = Deployment(
            backend, Path(tmp), models_dir, queue_name=f"load-{uuid.uuid4().hex[:8]}",
            extra_env={"SMARTINBOX_TRAIN_ON_START": "false"},
        )  # fmt: skip
        dep.start(worker=True)
        try:
            _seed(dep, args.seed)
            steps = []
            for rate in args.rates:
                steps.append(asyncio.run(step(dep, rate, args.step_s, args.agents, args.think_s)))
                last = steps[-1]
                print(f"{backend} {rate}/s: ingest {last['ingest']} agents {last['agents']} errors {last['errors_by_kind']} 4xx {last['client_errors_by_kind']}", flush=True)  # fmt: skip
            return {"steps": steps, **degradation(steps)}
        finally:
            dep.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="2,5,10,20,40", help="ingest messages/s per step")
    parser.add_argument("--step-s", type=float, default=15.0)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--think-s", type=float, default=2.0, help="mean agent think time")
    parser.add_argument("--seed", type=int, default=300, help="messages present at the start")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    from smartinbox.ai.training import ensure_models

    models_dir = Path(os.environ.get("SMARTINBOX_BENCH_MODELS_DIR", ROOT / "var" / "bench-models"))
    ensure_models(models_dir)
    random.seed(0)
    result: dict[str, Any] = {"benchmark": "load", "machine": machine(), "params": vars(args)}
    for backend in args.backends.split(","):
        if backend == "postgresql" and not postgres_available():
            result[backend] = {"skipped": "PostgreSQL not reachable"}
            continue
        result[backend] = run(backend, args, models_dir)
        write_result(f"load-{backend}", result)  # each backend's figures survive the next one
    write_result("load", result)


if __name__ == "__main__":
    main()
