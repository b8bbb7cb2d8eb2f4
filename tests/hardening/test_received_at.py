"""Finding 1: one far-future or far-past received_at must not break ingest or the dashboards."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartinbox.analytics.tasks import run_rebuild, run_refresh
from smartinbox.inbox import importer
from smartinbox.kit.timeutil import UTC_MAX, UTC_MIN, as_utc, parse_datetime, shift
from smartinbox.models import Message
from tests.conftest import Actor, Env

EXTREMES = ["9999-12-31T12:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]


def test_timeutil_never_raises_on_extreme_offsets() -> None:
    assert parse_datetime("0001-01-01T00:00:00+14:00") == UTC_MIN
    assert parse_datetime("9999-12-31T23:59:59-12:00") == UTC_MAX
    assert as_utc(datetime(2025, 1, 1)) == datetime(2025, 1, 1, tzinfo=UTC)
    assert shift(UTC_MAX, UTC_MAX - UTC_MIN) == UTC_MAX
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_datetime("yesterday")


@pytest.mark.parametrize("when", EXTREMES)
def test_ingest_refuses_implausible_received_at_naming_the_field(
    env: Env, client: TestClient, agent: Actor, when: str
) -> None:
    body = {"channel": "api", "external_id": "far", "body": "hello", "received_at": when}
    r = client.post("/api/messages", json=body, headers=agent.headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["field"] == "received_at"
    r = client.post("/api/messages/batch", json={"messages": [body]}, headers=agent.headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["field"] == "messages.0.received_at"
    assert client.get("/api/messages", headers=agent.headers).json()["total"] == 0


def test_import_reports_implausible_received_at_per_row(sqlite_env: Env, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "body,received_at\nfine,2025-01-02T10:00:00Z\nfar,9999-12-31T12:00:00Z\n"
        "past,0001-01-01T00:00:00+14:00\n",
        encoding="utf-8",
    )
    cols = importer.ColumnMap(received_at="received_at")
    report = importer.import_file(src, sqlite_env.settings, cols, analyze=False)
    assert report.created == 1
    assert [p.line for p in report.problems] == [3, 4]
    assert all("received_at" in p.message for p in report.problems)


def test_dashboards_keep_answering_with_bad_rows_already_stored(
    env: Env, client: TestClient, agent: Actor
) -> None:
    run_rebuild(env.settings)
    with env.session() as session:
        for i, when in enumerate([UTC_MAX, UTC_MIN, datetime(2025, 1, 6, 12, tzinfo=UTC)]):
            session.add(Message(channel="api", external_id=f"old{i}", body="hi", received_at=when))
    run_refresh(env.settings)  # the minute job: must not fail
    run_rebuild(env.settings)  # a rebuild over 0001..9999 must not plan millions of chunks
    period = {"start": "2025-01-06", "end": "2025-01-12"}
    for path in ("/api/insights", "/api/feedback/analytics"):
        r = client.get(path, params=period, headers=agent.headers)
        assert r.status_code == 200, r.text
    for page in ("/insights", "/feedback/analytics"):
        r = client.get(page, params=period, headers={**agent.headers, "accept": "text/html"})
        assert r.status_code == 200, r.text
