"""Fault injection, loopback only and bounded in time.

* Redis (our own `redis-server` on a free port, never the shared one) killed and restarted
  while a worker drains a backlog and the API keeps ingesting: every message ends with exactly
  one analysis and one current suggestion (what was lost with the queue is re-queued by the sweep).
* PostgreSQL unreachable, or its connections terminated during ingest: 503 with Retry-After,
  never a 500 and never half a batch; retrying with the same external ids ends with one message each.
* Exports to a read-only folder, a full disk or past a file-size limit: a clear error and no
  file, complete-looking or partial, left behind.
"""

from __future__ import annotations

import contextlib
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text, update

from smartinbox.inbox.tasks import sweep_untriaged
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AIReply, Analysis, Message
from tests.conftest import Actor, Env, _apply, create_actor

# ---------------------------------------------------------------- Redis restarted under load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    """A throwaway redis-server on loopback with no persistence: a restart loses the queue."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if redis.Redis.from_url(self.url, socket_connect_timeout=1).ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.kill()


def _counts(env: Env) -> tuple[int, int, int, int]:
    with env.session() as s:
        messages = s.scalar(select(func.count()).select_from(Message)) or 0
        analyses = s.scalar(select(func.count()).select_from(Analysis)) or 0
        current = s.scalar(select(func.count()).select_from(AIReply).where(AIReply.is_current)) or 0
        distinct = (
            s.scalar(
                select(func.count(func.distinct(AIReply.message_id))).where(AIReply.is_current)
            )
            or 0
        )
    return int(messages), int(analyses), int(current), int(distinct)


def _batch(prefix: str, start: int, n: int) -> dict[str, object]:
    return {
        "messages": [
            {"channel": "api", "external_id": f"{prefix}-{i}", "body": f"Order {i} is late."}
            for i in range(start, start + n)
        ]
    }


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_redis_restart_during_load_loses_no_job(
    sqlite_env: Env, own_redis: OwnRedis, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = sqlite_env.settings.model_copy(update={"queue_url": own_redis.url})
    _apply(monkeypatch, settings)
    env = Env("sqlite", settings, tmp_path)
    admin = create_actor(env, "admin@example.com", "admin")
    from smartinbox.app import create_app

    worker = subprocess.Popen(
        [sys.executable, "-m", "smartinbox.cli", "worker", "--threads", "2"],
        env={**os.environ, "SMARTINBOX_LOG_LEVEL": "ERROR"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    total = 0
    try:
        with TestClient(create_app(settings)) as client:
            for _ in range(6):  # a backlog: 600 messages in small analysis jobs
                r = client.post("/api/messages/batch", json=_batch("r", total, 100),
                                headers=admin.headers)  # fmt: skip
                assert r.status_code == 201, r.text
                total += 100
            deadline = time.monotonic() + 120
            while _counts(env)[1] == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            own_redis.kill()  # the queue and everything in it is gone
            during = []
            for _ in range(3):  # ingest goes on while the queue is down
                r = client.post("/api/messages/batch", json=_batch("r", total, 50),
                                headers=admin.headers)  # fmt: skip
                during.append(r.status_code)
                total += 50
            assert during == [201, 201, 201], "ingest does not depend on the queue being up"
            assert client.get("/readyz").status_code == 503
            analysed_at_restart = _counts(env)[1]
            assert analysed_at_restart < total, "the backlog was drained before Redis died"
            own_redis.start()  # empty, on the same port
            assert client.get("/readyz").status_code == 200
            # the sweep finds every message without analysis (made old enough for it)
            with env.session() as s:
                s.execute(update(Message).values(created_at=utcnow() - timedelta(hours=1)))
            requeued = sweep_untriaged.call_local()
            assert requeued > 0
            deadline = time.monotonic() + 300
            while _counts(env)[1] < total and time.monotonic() < deadline:
                assert worker.poll() is None, "the worker died when Redis went away"
                time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        _apply(monkeypatch, sqlite_env.settings)  # back to the test's own queue for teardown
    print({"redis_restart": {"messages": total, "analysed_at_restart": analysed_at_restart,
                             "requeued_by_sweep": requeued, "counts": _counts(env)}})  # fmt: skip
    assert _counts(env) == (total, total, total, total)


# ------------------------------------------------------------ PostgreSQL unavailable


def test_unreachable_postgres_answers_503_with_retry_hint(
    sqlite_env: Env, agent: Actor, tmp_path: Path
) -> None:
    from smartinbox.app import create_app

    closed = _free_port()
    settings = sqlite_env.settings.model_copy(
        update={"database_url": f"postgresql+psycopg://postgres@127.0.0.1:{closed}/test"}
    )
    with TestClient(create_app(settings)) as client:
        body = {"channel": "api", "external_id": "pg-down", "body": "hello"}
        r = client.post("/api/messages", json=body, headers=agent.headers)
        assert r.status_code == 503, r.text
        assert int(r.headers["retry-after"]) > 0
        assert r.json()["detail"]["code"] == "unavailable"
        assert client.get("/readyz").status_code == 503


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_terminated_postgres_connections_never_leave_half_a_batch(
    env: Env, client: TestClient, admin: Actor
) -> None:
    if env.backend != "postgres":
        pytest.skip("PostgreSQL backends are terminated here; SQLite busy is in test_limits")
    dbname = env.settings.database_url.rsplit("/", 1)[1]
    killer_engine = create_engine(
        env.settings.database_url.rsplit("/", 1)[0] + "/test", isolation_level="AUTOCOMMIT"
    )
    stop = threading.Event()
    kills = [0]

    def killer() -> None:
        with killer_engine.connect() as conn:
            while not stop.is_set():
                n = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": dbname},
                ).scalar()
                kills[0] += int(n or 0)
                time.sleep(random.uniform(0.02, 0.25))  # some requests get through, some not

    thread = threading.Thread(target=killer, daemon=True)
    statuses: dict[int, int] = {}
    first_try: dict[int, int] = {}
    batches = 40
    thread.start()
    try:
        for b in range(batches):
            r = client.post("/api/messages/batch", json=_batch(f"t{b}", 0, 20),
                            headers=admin.headers)  # fmt: skip
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            first_try[b] = r.status_code
            if r.status_code == 503:
                assert int(r.headers["retry-after"]) > 0
    finally:
        stop.set()
        thread.join(timeout=10)
        killer_engine.dispose()
    print({"pg_terminate": {"statuses": statuses, "backends_terminated": kills[0]}})
    assert set(statuses) <= {201, 503}, statuses
    assert kills[0] > 0 and statuses.get(503), "the fault was injected"
    with env.session() as s:
        for b in range(batches):  # all or nothing: never part of a batch
            n = s.scalar(
                select(func.count()).select_from(Message).where(Message.external_id.like(f"t{b}-%"))
            )
            assert n in (0, 20), f"batch {b} half-written: {n} of 20 ({first_try[b]})"
    for b in range(batches):  # the client retries; each message ends up stored once
        r = client.post("/api/messages/batch", json=_batch(f"t{b}", 0, 20), headers=admin.headers)
        assert r.status_code in (200, 201), r.text
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == batches * 20


# ------------------------------------------------------------ exports: read-only, full, size limit


def _feedback_rows(client: TestClient, admin: Actor, n: int = 40) -> None:
    for i in range(n):
        r = client.post(
            "/api/feedback-replay",
            json={"message": f"Order {i}: " + "where is it? " * 300, "aiReply": "It ships today.",
                  "agentReply": "It shipped, here is the tracking number.", "feedback": "no"},
            headers=admin.headers,
        )  # fmt: skip
        assert r.status_code == 201, r.text


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


@contextlib.contextmanager
def _mounted_tmpfs(folder: Path, options: str) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    if os.geteuid() != 0:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    with _mounted_tmpfs(folder, "ro,size=64k"):  # root ignores file modes
        yield


def _export_app(env: Env, export_dir: Path):  # type: ignore[no-untyped-def]
    from smartinbox.app import create_app

    return create_app(env.settings.model_copy(update={"export_dir": export_dir}))


def test_export_to_a_read_only_folder_fails_clearly(sqlite_env: Env, tmp_path: Path) -> None:
    admin = create_actor(sqlite_env, "admin@example.com", "admin")
    folder = tmp_path / "exports"
    with TestClient(_export_app(sqlite_env, folder)) as client:
        _feedback_rows(client, admin, 3)
        with _read_only(folder):
            r = client.get("/api/exports/feedback", headers=admin.headers)
            assert r.status_code == 507, r.text
            detail = r.json()["detail"]
            assert detail["code"] == "storage_failed"
            assert "could not be written" in detail["message"]
            assert _leftovers(folder) == []


def test_export_on_a_full_disk_leaves_no_file(sqlite_env: Env, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("a small full filesystem needs root to mount; the size-limit test covers it")
    admin = create_actor(sqlite_env, "admin@example.com", "admin")
    folder = tmp_path / "exports"
    with TestClient(_export_app(sqlite_env, folder)) as client:
        _feedback_rows(client, admin)
        with _mounted_tmpfs(folder, "size=32k"):
            r = client.get("/api/exports/feedback", headers=admin.headers)
            assert r.status_code == 507, r.text
            assert "No space left" in r.json()["detail"]["message"]
            assert _leftovers(folder) == []


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))


def test_export_past_a_file_size_limit_leaves_no_file(sqlite_env: Env, tmp_path: Path) -> None:
    admin = create_actor(sqlite_env, "admin@example.com", "admin")
    with TestClient(_export_app(sqlite_env, tmp_path / "unused")) as client:
        _feedback_rows(client, admin)
    out_dir = tmp_path / "cli-exports"
    out_dir.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "smartinbox.cli", "export", "feedback", "--out",
         str(out_dir / "feedback.csv"), "--no-redact-pii"],
        env={**os.environ, "SMARTINBOX_LOG_LEVEL": "ERROR"},
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        timeout=120,
    )  # fmt: skip
    said = " ".join((done.stdout + done.stderr).split())  # the console wraps long lines
    assert done.returncode == 1, said
    assert "could not be written" in said and "File too large" in said
    assert "Traceback" not in done.stderr
    assert _leftovers(out_dir) == []


def test_an_exhausted_connection_pool_answers_503(sqlite_env: Env) -> None:
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from smartinbox.app import create_app

    app = create_app(sqlite_env.settings)

    def busy() -> None:  # what SQLAlchemy raises when no pooled connection frees up in time
        raise PoolTimeout("QueuePool limit of size 10 overflow 20 reached")

    app.add_api_route("/api/test-pool-exhausted", busy)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/test-pool-exhausted")
    assert r.status_code == 503 and int(r.headers["retry-after"]) > 0


def test_a_request_waiting_for_the_database_does_not_stop_the_others(
    sqlite_env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token lookup of one request waits (as for a pooled connection or SQLite's write
    lock); meanwhile another request is answered: the wait holds one thread, not the server."""
    from smartinbox.app import create_app
    from smartinbox.auth import service as auth_service

    agent = create_actor(sqlite_env, "agent@example.com", "agent")
    original = auth_service.user_for_token
    waiting, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow_first(session, raw):  # type: ignore[no-untyped-def]
        if not waiting.is_set():
            waiting.set()
            release.wait(timeout=30)
        return original(session, raw)

    monkeypatch.setattr(auth_service, "user_for_token", slow_first)
    with TestClient(create_app(sqlite_env.settings)) as client:

        def first() -> None:
            r = client.get("/api/messages", headers=agent.headers)
            order.append(f"first {r.status_code}")

        thread = threading.Thread(target=first)
        thread.start()
        assert waiting.wait(timeout=30)
        r = client.get("/api/messages", headers=agent.headers)
        order.append(f"second {r.status_code}")
        release.set()
        thread.join(timeout=30)
    assert order == ["second 200", "first 200"]
