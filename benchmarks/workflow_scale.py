"""Workflow at scale: 50 agents working on N messages (default 1,000,000).

Bulk-loads N messages into conversations (1 to 4 messages each) straight into the database
(multi-row inserts, not through the API or the engine), each with its analysis, and gives the
conversations statuses, priorities, tags, assignees among the agents and SLA due times. Then a
real `smartinbox serve` on loopback answers the agents: each agent has its own API token and its
own signed-in UI session, and all agents run at once from a thread pool, each repeating rounds
of: the priority view (GET /api/conversations, default sort, and the HTML /conversations page)
and a conversation page (GET /api/conversations/{id} and /conversations/{id}). Prints p50/p95
per request kind as JSON (and writes benchmarks/results/workflow_scale.json).

    python -m benchmarks.workflow_scale [--messages N] [--agents 50] [--rounds 4]
        [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from benchmarks.common import Deployment, machine, summary_ms, write_result
from smartinbox.auth import service as auth_service
from smartinbox.auth.security import hash_password
from smartinbox.models import Analysis, Conversation, Customer, Message, User
from smartinbox.models.conversations import PRIORITY_RANK

CHUNK = 5_000
PASSWORD = "bench-password-1"
STATUSES = [("open", 30), ("pending", 10), ("snoozed", 5), ("solved", 25), ("closed", 30)]
PRIORITIES = [("urgent", 5), ("high", 15), ("normal", 60), ("low", 20)]
KINDS = ("complaint", "question", "urgent", "casual")
TOPICS = ("billing", "shipping", "account", "outage", "returns")
TAGS = ("vip", "refund", "bug", "follow-up")
SUBJECTS = (
    "Where is my order {n}?",
    "Charged twice for invoice INV-{n}",
    "Checkout broken",
    "Change delivery address for order {n}",
    "Password reset e-mail never arrives",
)
BODIES = (
    "Hello, my order {n} was due on Monday and has not arrived. Can you check where it is?",
    "I was charged twice for invoice INV-{n}; please refund one of the two payments.",
    "Checkout fails with an error for every card I try since this morning.",
    "Could you send order {n} to my office address instead of my home?",
    "I asked for a password reset three times and no e-mail ever came.",
)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load(engine: Engine, messages: int, agents: int, seed: int = 7) -> dict[str, Any]:
    """Bulk-load `messages` messages (with analyses) in conversations, and `agents` agents.

    Returns the agents' e-mail addresses with an API token each, and the counts loaded. The tables must be
    empty (a freshly migrated database)."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=90)
    span_s = int((now - start).total_seconds())
    t0 = time.perf_counter()
    pw_hash = hash_password(PASSWORD)
    emails = [f"agent{i:02d}@example.com" for i in range(1, agents + 1)]
    # Plan the conversations: sizes 1-4 until the messages are used up.
    sizes: list[int] = []
    left = messages
    while left > 0:
        size = min(left, rng.randint(1, 4))
        sizes.append(size)
        left -= size
    n_conv = len(sizes)
    n_cust = max(1, n_conv // 2)
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {
                    "id": i + 1,
                    "email": email,
                    "name": f"Agent {i + 1}",
                    "role": "agent",
                    "password_hash": pw_hash,
                    "is_active": True,
                    "created_at": start,
                }
                for i, email in enumerate(emails)
            ],
        )
    agent_ids = list(range(1, agents + 1))

    def customers() -> Iterator[dict[str, Any]]:
        for cid in range(1, n_cust + 1):
            yield {
                "id": cid,
                "email": f"customer{cid}@example.net",
                "name": f"Customer {cid}",
                "created_at": start,
            }

    conv_rows: list[dict[str, Any]] = []
    msg_plan: list[tuple[int, int, datetime, str]] = []  # (conversation, customer, time, subject)
    for conv_id, size in enumerate(sizes, start=1):
        customer = rng.randint(1, n_cust)
        n = rng.randint(1000, 99999)
        subject = SUBJECTS[conv_id % len(SUBJECTS)].format(n=n)
        first = start + timedelta(seconds=rng.randint(0, span_s - 3600 * 8))
        times = [first + timedelta(minutes=rng.randint(0, 60 * 8)) for _ in range(size - 1)]
        stamps = [first, *sorted(times)]
        status = _pick(rng, STATUSES)
        priority = _pick(rng, PRIORITIES)
        first_h, resolve_h = {"urgent": (1, 8), "high": (4, 24), "normal": (8, 48)}.get(
            priority, (24, 96)
        )
        answered = status in ("solved", "closed") or rng.random() < 0.5
        conv_rows.append(
            {
                "id": conv_id,
                "channel": "api",
                "thread_key": None,
                "customer_id": customer,
                "subject": subject,
                "subject_key": subject.lower()[:255],
                "status": status,
                "snoozed_until": now + timedelta(hours=rng.randint(1, 48))
                if status == "snoozed"
                else None,
                "assignee_id": rng.choice(agent_ids) if rng.random() < 0.7 else None,
                "priority": priority,
                "priority_rank": PRIORITY_RANK[priority],
                "priority_source": "auto",
                "tags": [rng.choice(TAGS)] if rng.random() < 0.2 else [],
                "spam": rng.random() < 0.03,
                "message_count": size,
                "first_message_at": stamps[0],
                "last_message_at": stamps[-1],
                "opened_at": stamps[0],
                "first_response_at": stamps[0] + timedelta(minutes=rng.randint(5, 600))
                if answered
                else None,
                "first_response_due": stamps[0] + timedelta(hours=first_h),
                "resolution_due": stamps[0] + timedelta(hours=resolve_h),
                "solved_at": stamps[-1] + timedelta(hours=2)
                if status in ("solved", "closed")
                else None,
                "created_at": stamps[0],
                "updated_at": stamps[-1],
            }
        )
        for stamp in stamps:
            msg_plan.append((conv_id, customer, stamp, subject))

    def conversations() -> Iterator[dict[str, Any]]:
        yield from conv_rows

    def message_rows() -> Iterator[dict[str, Any]]:
        for mid, (conv_id, customer, stamp, subject) in enumerate(msg_plan, start=1):
            yield {
                "id": mid,
                "channel": "api",
                "external_id": f"bench-{mid}",
                "customer_id": customer,
                "conversation_id": conv_id,
                "subject": subject,
                "body": BODIES[mid % len(BODIES)].format(n=mid),
                "body_format": "text",
                "received_at": stamp,
                "status": "open",
                "assignee_id": None,
                "source": "api",
                "created_at": stamp,
                "updated_at": stamp,
            }

    def analysis_rows() -> Iterator[dict[str, Any]]:
        for mid, (_conv, _cust, stamp, _subj) in enumerate(msg_plan, start=1):
            kind = KINDS[mid % len(KINDS)]
            yield {
                "id": mid,
                "message_id": mid,
                "kind": kind,
                "topic": TOPICS[mid % len(TOPICS)],
                "urgency": round(rng.random(), 3),
                "sentiment": round(rng.uniform(-1, 1), 3),
                "spam": round(rng.random() * 0.2, 3),
                "language": "en",
                "out_of_scope": False,
                "confidence": {"kind": 0.9, "topic": 0.8},
                "model_version": "bench",
                "assistant_version_id": None,
                "latency_ms": 5.0,
                "created_at": stamp,
                "updated_at": stamp,
            }

    models: tuple[tuple[type[Any], Iterator[dict[str, Any]]], ...] = (
        (Customer, customers()),
        (Conversation, conversations()),
        (Message, message_rows()),
        (Analysis, analysis_rows()),
    )
    for model, rows in models:
        for batch in _chunks(rows):
            with engine.begin() as conn:
                conn.execute(insert(model), batch)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            # Explicit ids were inserted: move the sequences past them, then refresh statistics.
            for table in ("users", "customers", "conversations", "messages", "analyses"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    with Session(engine) as session:
        tokens = [(email, auth_service.create_token(session, email)[1]) for email in emails]
        session.commit()
    return {
        "agents": tokens,
        "conversations": n_conv,
        "customers": n_cust,
        "messages": len(msg_plan),
        "load_s": round(time.perf_counter() - t0, 1),
    }


class Agent:
    """One agent: an API token client and a signed-in browser-like client."""

    def __init__(self, base_url: str, email: str, token: str) -> None:
        # Idle connections are dropped before the server's keep-alive timeout (5 s) closes them.
        limits = httpx.Limits(keepalive_expiry=2)
        self.api = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
            limits=limits,
        )
        self.web = httpx.Client(base_url=base_url, timeout=120, limits=limits)
        page = self.web.get("/login")
        match = CSRF_RE.search(page.text)
        if match is None:
            raise RuntimeError("no csrf_token on the login page")
        r = self.web.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": match.group(1)},
        )
        if r.status_code != 303:
            raise RuntimeError(f"login failed for {email}: {r.status_code}")

    def close(self) -> None:
        self.api.close()
        self.web.close()


def measure(
    base_url: str,
    agents: list[tuple[str, str]],
    conversations: int,
    rounds: int,
    seed: int = 11,
) -> dict[str, Any]:
    """All agents at once, each doing `rounds` rounds of the four requests; latencies per kind."""
    sessions = [Agent(base_url, email, token) for email, token in agents]
    latency: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    first_error: dict[str, str] = {}

    def work(index: int) -> list[tuple[str, float, int]]:
        agent = sessions[index]
        rng = random.Random(seed + index)
        out: list[tuple[str, float, int]] = []
        for _ in range(rounds):
            cid = rng.randint(1, conversations)
            for kind, client, url in (
                ("api_priority_view", agent.api, "/api/conversations"),
                ("html_priority_view", agent.web, "/conversations"),
                ("api_conversation", agent.api, f"/api/conversations/{cid}"),
                ("html_conversation", agent.web, f"/conversations/{cid}"),
            ):
                t0 = time.perf_counter()
                try:
                    r = client.get(url)
                except httpx.TransportError as exc:  # counted as an error, never timed
                    out.append((kind, time.perf_counter() - t0, 0))
                    first_error.setdefault(kind, f"{type(exc).__name__} {url}: {exc}")
                    continue
                out.append((kind, time.perf_counter() - t0, r.status_code))
                if r.status_code != 200:
                    first_error.setdefault(kind, f"{r.status_code} {url}: {r.text[:200]}")
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        for results in pool.map(work, range(len(sessions))):
            for kind, seconds, status in results:
                if status == 200:
                    latency[kind].append(seconds)
                else:
                    errors[kind] += 1
    wall = time.perf_counter() - t0
    for agent in sessions:
        agent.close()
    return {
        "wall_s": round(wall, 1),
        "requests": sum(len(v) for v in latency.values()) + sum(errors.values()),
        "errors": dict(errors),
        "first_errors": first_error,
        "latency": {kind: {"n": len(v), **summary_ms(v)} for kind, v in sorted(latency.items())},
    }


def run(backend: str, messages: int, agents: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        dep = Deployment(
            backend,
            Path(tmp),
            Path(tmp) / "models",
            extra_env={"SMARTINBOX_TRAIN_ON_START": "false"},
        )
        try:
            dep.cli("db", "upgrade")
            url = dep.env["SMARTINBOX_DATABASE_URL"]
            engine = create_engine(url)
            loaded = load(engine, messages, agents)
            engine.dispose()
            dep.start(worker=False)
            measured = measure(dep.url, loaded.pop("agents"), loaded["conversations"], rounds)
        finally:
            dep.stop()
    return {"loaded": loaded, **measured}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of 4 requests per agent")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    result = {
        "benchmark": "workflow_scale",
        "backend": args.backend,
        "messages": args.messages,
        "agents": args.agents,
        "rounds": args.rounds,
        "machine": machine(),
        **run(args.backend, args.messages, args.agents, args.rounds),
    }
    write_result(f"workflow_scale_{args.backend}", result)


if __name__ == "__main__":
    main()
