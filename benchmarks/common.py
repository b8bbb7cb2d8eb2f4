"""Shared helpers: a real `smartinbox serve` process on loopback, percentiles, JSON output."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PG_URL = os.environ.get(
    "SMARTINBOX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("SMARTINBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {
        "p50_ms": round(percentile(ms, 0.50), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2) if ms else float("nan"),
    }


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2))
    print(json.dumps(data, indent=2))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_available() -> bool:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


class Deployment:
    """A migrated database, a user with a token, and `smartinbox serve` on a free port."""

    def __init__(
        self,
        backend: str,
        workdir: Path,
        models_dir: Path,
        *,
        queue_name: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.backend = backend
        # A queue name of its own: it shares Redis with nobody, and is emptied without FLUSHDB.
        self.queue_name = queue_name
        self.workdir = workdir
        self.env = {
            **os.environ,
            "SMARTINBOX_DATA_DIR": str(workdir / "data"),
            "SMARTINBOX_MODELS_DIR": str(models_dir),
            "SMARTINBOX_LOG_LEVEL": "WARNING",
            "SMARTINBOX_MAX_BATCH": "1000",
            **(extra_env or {}),
        }
        if queue_name:
            self.env["SMARTINBOX_QUEUE_NAME"] = queue_name
        self.pg_db: str | None = None
        if backend == "sqlite":
            self.env["SMARTINBOX_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
            self.env.pop("SMARTINBOX_QUEUE_URL", None)
        else:
            from sqlalchemy import create_engine, text

            self.pg_db = f"smartinbox_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.pg_db}"'))
            admin.dispose()
            self.env["SMARTINBOX_DATABASE_URL"] = PG_URL.rsplit("/", 1)[0] + "/" + self.pg_db
            self.env["SMARTINBOX_QUEUE_URL"] = REDIS_URL
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.token = ""

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "smartinbox.cli", *args],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout

    def start(self, *, worker: bool = True) -> Deployment:
        self.cli("db", "upgrade")
        if self.backend != "sqlite" and not self.queue_name:
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
        self.cli("users", "create", "bench@example.com", "--role", "admin", "--no-password")
        self.token = self.cli("tokens", "create", "bench@example.com").split()[-1]
        args = [sys.executable, "-m", "smartinbox.cli", "serve", "--port", str(self.port)]
        if not worker:
            args.append("--no-worker")
        self.proc = subprocess.Popen(
            args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def start_workers(self, count: int, threads: int = 2, model_threads: int = 0) -> None:
        """`smartinbox worker` processes beside `serve --no-worker` (the scale-out layout)."""
        env = {**self.env, "SMARTINBOX_MODEL_THREADS": str(model_threads)}
        for _ in range(count):
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "smartinbox.cli", "worker", "--threads", str(threads)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    # Its own session, as a service manager starts each worker: where the
                    # kernel groups CPU shares by session (Linux autogroup), workers started
                    # from one shell would otherwise share a single share between them.
                    start_new_session=True,
                )
            )

    def stop_workers(self) -> None:
        for proc in self.workers:
            proc.terminate()
        for proc in self.workers:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.workers = []

    def stop(self) -> None:
        self.stop_workers()
        if self.queue_name and self.backend != "sqlite":
            import redis

            client = redis.Redis.from_url(self.env["SMARTINBOX_QUEUE_URL"])
            for key in client.scan_iter(match=f"huey.*{self.queue_name}*"):
                client.delete(key)
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:  # still draining a backlog: the run is over anyway
                self.proc.kill()
                self.proc.wait()
        if self.pg_db:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)'))
            admin.dispose()
