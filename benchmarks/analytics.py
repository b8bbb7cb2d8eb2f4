"""Dashboard latency on a generated year: roll-ups over HTTP, next to a full scan of the same numbers.

For SQLite and (when reachable) PostgreSQL: generate N messages with feedback
(`smartinbox analytics generate`), serve them with a real `smartinbox serve` process, call each
dashboard endpoint (`--calls` times per scenario, after one warm-up call) and report p50/p95.
The same figures are then computed from the source tables without roll-ups (`scan=True`, the
plain full-scan query), and the cost of keeping roll-ups right after a late rating is timed.
Writes benchmarks/results/analytics.json.

    python -m benchmarks.analytics [--messages 1000000] [--calls 20] [--scan-calls 1]
        [--sqlite-path var/bench/analytics.db] [--postgres-url URL] [--backends sqlite,postgresql]

A given --sqlite-path or --postgres-url that already holds messages is reused as it is.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text

from benchmarks.common import (
    PG_URL,
    ROOT,
    free_port,
    machine,
    postgres_available,
    summary_ms,
    write_result,
)

SCENARIOS: list[tuple[str, str, dict[str, str]]] = [
    ("insights this week (default)", "/api/insights", {}),
    ("insights last 30 days", "/api/insights", {"period": "last_30_days"}),
    ("insights last 365 days", "/api/insights", {"period": "last_365_days"}),
    ("insights 365 days, channel+topic", "/api/insights",
     {"period": "last_365_days", "channel": "email", "topic": "refund"}),
    ("insights 365 days, agent", "/api/insights", {"period": "last_365_days", "agent_id": "@agent"}),
    ("feedback last 30 days (default)", "/api/feedback/analytics", {}),
    ("feedback last 365 days", "/api/feedback/analytics", {"period": "last_365_days"}),
    ("feedback 365 days, all four filters", "/api/feedback/analytics",
     {"period": "last_365_days", "channel": "email", "topic": "refund",
      "version_id": "@version", "agent_id": "@agent"}),
]  # fmt: skip


# A full scan of a year takes minutes; these scenarios show how it grows with the period.
SCAN_SCENARIOS = (
    "insights this week (default)",
    "insights last 30 days",
    "insights last 365 days",
    "feedback last 30 days (default)",
    "feedback last 365 days",
)


class Target:
    """A database with a generated year, and `smartinbox serve` in front of it."""

    def __init__(self, backend: str, url: str, workdir: Path) -> None:
        self.backend, self.url = backend, url
        self.env = {
            **os.environ,
            "SMARTINBOX_DATABASE_URL": url,
            "SMARTINBOX_DATA_DIR": str(workdir / "data"),
            "SMARTINBOX_LOG_LEVEL": "WARNING",
            "SMARTINBOX_TRAIN_ON_START": "false",
        }
        self.env.pop("SMARTINBOX_QUEUE_URL", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""
        self.token = ""

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "smartinbox.cli", *args],
            env=self.env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return out.stdout

    def messages(self) -> int:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text("SELECT count(*) FROM messages")).scalar() or 0)
        except Exception:
            return 0
        finally:
            engine.dispose()

    def prepare(self, count: int) -> dict[str, Any]:
        self.cli("db", "upgrade")
        found = self.messages()
        info: dict[str, Any] = {"messages": found or count, "reused": bool(found)}
        if not found:
            started = time.perf_counter()
            out = self.cli("analytics", "generate", "--messages", str(count), "--with-feedback")
            info["generate_s"] = round(time.perf_counter() - started, 1)
            info["generated"] = out.strip().splitlines()[-1] if out.strip() else ""
        else:
            self.cli("analytics", "refresh")
        email = f"bench-{uuid.uuid4().hex[:6]}@example.com"
        self.cli("users", "create", email, "--role", "admin", "--no-password")
        self.token = self.cli("tokens", "create", email).split()[-1]
        return info

    def start(self) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        args = [sys.executable, "-m", "smartinbox.cli", "serve", "--port", str(port), "--no-worker"]
        self.proc = subprocess.Popen(
            args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=60)


def _ids(url: str) -> dict[str, str]:
    """A generated agent and assistant version to filter by."""
    from smartinbox.models import AssistantVersion, User

    engine = create_engine(url)
    with engine.connect() as conn:
        agent = conn.execute(select(func.min(User.id)).where(User.email.like("agent%"))).scalar()
        version = conn.execute(select(func.max(AssistantVersion.id))).scalar()
    engine.dispose()
    return {"@agent": str(agent), "@version": str(version)}


def _params(raw: dict[str, str], ids: dict[str, str]) -> dict[str, str]:
    return {k: ids.get(v, v) for k, v in raw.items()}


def over_http(target: Target, calls: int, ids: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {target.token}"}
    with httpx.Client(base_url=target.base, headers=headers, timeout=120) as client:
        for name, path, raw in SCENARIOS:
            params = _params(raw, ids)
            assert client.get(path, params=params).status_code == 200  # warm-up
            times = []
            for _ in range(calls):
                t0 = time.perf_counter()
                response = client.get(path, params=params)
                times.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.text
                assert response.json()["source"] == "rollup"
            out[name] = summary_ms(times)
    return out


def full_scan(target: Target, calls: int, ids: dict[str, str]) -> dict[str, Any]:
    """The same figures from the source tables: what each call would cost without roll-ups."""
    from smartinbox.analytics import feedback, service
    from smartinbox.analytics.endpoints import _resolve, filters
    from smartinbox.config import Settings
    from smartinbox.db import session_scope

    settings = Settings(database_url=target.url, data_dir=Path(target.env["SMARTINBOX_DATA_DIR"]))
    out: dict[str, Any] = {}
    for name, path, raw in SCENARIOS:
        if name not in SCAN_SCENARIOS:
            continue
        params = _params(raw, ids)
        default = "this_week" if path == "/api/insights" else "last_30_days"
        period = _resolve(settings, default, params.get("period"), None, None)
        chosen = filters(
            params.get("channel"), params.get("topic"), params.get("version_id"),
            params.get("agent_id"),
        )  # fmt: skip
        fn = service.insights if path == "/api/insights" else feedback.feedback_analytics
        times = []
        for _ in range(calls):
            with session_scope(settings, write=False) as session:
                t0 = time.perf_counter()
                result = fn(session, settings, period, chosen, scan=True)
                times.append(time.perf_counter() - t0)
                assert result.source == "scan"
        out[name] = summary_ms(times)
    return out


def late_rating_refresh(target: Target) -> dict[str, Any]:
    """One rating arrives for an old message: the marked day is recomputed, timed."""
    from smartinbox.analytics import rollups
    from smartinbox.config import Settings
    from smartinbox.db import session_scope
    from smartinbox.models import AIReply, Feedback

    settings = Settings(database_url=target.url, data_dir=Path(target.env["SMARTINBOX_DATA_DIR"]))
    with session_scope(settings) as session:
        reply = session.scalar(select(AIReply).order_by(AIReply.id).offset(1000).limit(1))
        assert reply is not None
        rating = Feedback(message_id=reply.message_id, ai_reply_id=reply.id, useful=False)
        session.add(rating)
    with session_scope(settings) as session:
        t0 = time.perf_counter()
        days = rollups.refresh(session, settings)
        elapsed = time.perf_counter() - t0
    with session_scope(settings) as session:  # leave the data as it was
        session.delete(session.get(Feedback, rating.id))
    with session_scope(settings) as session:
        rollups.refresh(session, settings)
    return {"days_recomputed": days, "refresh_ms": round(elapsed * 1000, 1)}


def rollup_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    tables = (
        "analytics_daily",
        "analytics_hourly",
        "analytics_rejections",
        "analytics_escalations",
    )
    with engine.connect() as conn:
        rows = {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0) for t in tables
        }
    engine.dispose()
    return rows


def run(backend: str, url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    target = Target(backend, url, workdir)
    result: dict[str, Any] = target.prepare(args.messages)
    ids = _ids(url)
    target.start()
    try:
        result["endpoints_rollup"] = over_http(target, args.calls, ids)
    finally:
        target.stop()
    result["full_scan"] = full_scan(target, args.scan_calls, ids)
    result["late_rating"] = late_rating_refresh(target)
    result["rollup_rows"] = rollup_rows(url)
    return result


def _postgres_url(args: argparse.Namespace) -> str:
    if args.postgres_url:
        return str(args.postgres_url)
    name = "smartinbox_bench_analytics"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--scan-calls", type=int, default=1)
    parser.add_argument("--sqlite-path", type=Path, default=ROOT / "var" / "bench" / "analytics.db")
    parser.add_argument(
        "--postgres-url", default=None, help="default: database smartinbox_bench_analytics"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    workdir = args.sqlite_path.parent
    workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"benchmark": "analytics", "machine": machine(), "params": {
        k: str(v) for k, v in vars(args).items()}}  # fmt: skip
    backends = args.backends.split(",")
    if "sqlite" in backends:
        result["sqlite"] = run("sqlite", f"sqlite:///{args.sqlite_path}", args, workdir)
    if "postgresql" in backends:
        if postgres_available():
            result["postgresql"] = run("postgresql", _postgres_url(args), args, workdir)
        else:
            result["postgresql"] = {"skipped": "PostgreSQL not reachable"}
    write_result("analytics", result)


if __name__ == "__main__":
    main()
