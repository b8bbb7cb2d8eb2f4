"""Dataset destinations against real local servers: a moto S3 server process and aiosmtpd."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest

from smartinbox.feedback.destinations import DeliveryFailed, deliver
from tests.conftest import Env


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    pytest.importorskip("moto.server")
    port = _port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _files(tmp: Path) -> list[Path]:
    data = tmp / "retrain-1.jsonl"
    data.write_text('{"messages": []}\n' * 1000, encoding="utf-8")
    record = tmp / "retrain-1.json"
    record.write_text('{"rows": 1000}', encoding="utf-8")
    return [data, record]


def test_s3_upload(sqlite_env: Env, s3_server: str, aws_env: None) -> None:
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket="datasets")
    settings = sqlite_env.settings.model_copy(
        update={
            "retrain_destination": "s3://datasets/smartinbox/weekly",
            "s3_endpoint_url": s3_server,
        }
    )
    files = _files(sqlite_env.tmp)
    where = deliver(settings, files)
    assert where == [
        "s3://datasets/smartinbox/weekly/retrain-1.jsonl",
        "s3://datasets/smartinbox/weekly/retrain-1.json",
    ]
    body = s3.get_object(Bucket="datasets", Key="smartinbox/weekly/retrain-1.jsonl")["Body"].read()
    assert body == files[0].read_bytes()
    missing = settings.model_copy(update={"retrain_destination": "s3://no-such-bucket"})
    with pytest.raises(DeliveryFailed, match="no-such-bucket"):
        deliver(missing, files)


def test_email(sqlite_env: Env) -> None:
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(envelope.content)
            return "250 OK"

    port = _port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = sqlite_env.settings.model_copy(
            update={
                "retrain_destination": "mailto:ml-team@example.com",
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
            }
        )
        files = _files(sqlite_env.tmp)
        assert deliver(settings, files) == [
            "mailto:ml-team@example.com#retrain-1.jsonl",
            "mailto:ml-team@example.com#retrain-1.json",
        ]
        small = settings.model_copy(update={"smtp_max_attachment_bytes": 1024})
        with pytest.raises(DeliveryFailed, match="over the e-mail limit"):
            deliver(small, files)
    finally:
        controller.stop()
    mail = message_from_bytes(received[0], policy=policy.default)
    assert mail["To"] == "ml-team@example.com"
    attachments = {p.get_filename(): p.get_payload(decode=True) for p in mail.iter_attachments()}
    assert attachments["retrain-1.jsonl"] == files[0].read_bytes()
    assert attachments["retrain-1.json"] == b'{"rows": 1000}'


def test_folder_default(sqlite_env: Env) -> None:
    files = _files(sqlite_env.tmp)
    where = deliver(sqlite_env.settings, files)
    assert [Path(p).parent for p in where] == [sqlite_env.settings.resolved_export_dir()] * 2
    assert Path(where[0]).read_bytes() == files[0].read_bytes()
