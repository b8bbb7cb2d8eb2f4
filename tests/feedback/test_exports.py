"""Exports: CSV that spreadsheets open cleanly, validated JSONL, atomic files, CLI and API."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.feedback import service
from smartinbox.feedback.schemas import ReplayIn
from tests.conftest import Actor, Env

runner = CliRunner()


def _replays(settings: Settings, n: int, *, start: int = 0) -> None:
    with session_scope(settings) as s:
        for i in range(start, start + n):
            service.record_replay(
                s,
                settings,
                ReplayIn(
                    message=f'=HYPERLINK("x") Question {i}: mail me at user{i}@example.com, Grüße',
                    aiReply="Thanks!",
                    agentReply=f"Answer {i}: call +1 415 555 26{i % 10}{i % 10} about order {i}.",
                    feedback="no",
                ),
            )


def test_cli_exports(env: Env) -> None:
    _replays(env.settings, 12)
    out = env.tmp / "training.jsonl"
    result = runner.invoke(cli, ["export", "training", "--format", "jsonl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["rows"] == 12 and report["validation"]["valid"] is True
    assert report["validation"]["estimated_tokens"] > 12 * 20
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [m["role"] for m in lines[0]["messages"]] == ["system", "user", "assistant"]
    assert "[email]" in lines[0]["messages"][1]["content"]
    assert "[phone]" in lines[0]["messages"][2]["content"]
    assert "order 0" in lines[0]["messages"][2]["content"]
    assert not list(out.parent.glob(".*part"))

    raw = env.tmp / "raw.jsonl"
    args = ["export", "training", "--out", str(raw), "--no-redact-pii", "--min-not-useful", "0"]
    assert runner.invoke(cli, args).exit_code == 0
    assert "user0@example.com" in raw.read_text(encoding="utf-8")

    csv_out = env.tmp / "feedback.csv"
    result = runner.invoke(cli, ["export", "feedback", "--format", "csv", "--out", str(csv_out)])
    assert result.exit_code == 0, result.output
    data = csv_out.read_bytes()
    assert data.startswith(b'\xef\xbb\xbf"id","created_at"')
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 12 and rows[0]["feedback"] == "no"
    assert rows[0]["message"].startswith("'=HYPERLINK")  # no formula runs in a spreadsheet
    assert "Grüße" in rows[0]["message"]
    assert rows[0]["created_at"][:4].isdigit() and "T" in rows[0]["created_at"]


def test_too_few_examples_writes_nothing(env: Env) -> None:
    _replays(env.settings, 3)
    out = env.tmp / "small.jsonl"
    result = runner.invoke(cli, ["export", "training", "--out", str(out)])
    assert result.exit_code == 1
    assert "only 3 valid example(s)" in result.output
    assert not out.exists() and not list(env.tmp.glob(".small*"))


def test_api_downloads(sqlite_env: Env, client: TestClient, admin: Actor, agent: Actor) -> None:
    _replays(sqlite_env.settings, 11)
    r = client.get("/api/exports/training?format=jsonl", headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.headers["x-export-rows"] == "11" and int(r.headers["x-export-estimated-tokens"]) > 0
    assert "attachment" in r.headers["content-disposition"]
    assert len(r.text.splitlines()) == 11
    r = client.get("/api/exports/feedback?feedback=no", headers=admin.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.decode("utf-8-sig").count("\r\n") == 12
    assert client.get("/api/exports/training", headers=agent.headers).status_code == 403
    r = client.get("/api/exports/training?min_not_useful=5", headers=admin.headers)
    assert r.status_code == 422 and "only 0 valid" in r.text
    # Served files are removed once sent.
    assert not list((sqlite_env.settings.resolved_export_dir() / "downloads").glob("*"))


def test_atomic_file_is_discarded_on_error(tmp_path: Path) -> None:
    from smartinbox.feedback.exports import write_csv

    def rows():  # type: ignore[no-untyped-def]
        yield {"id": 1}
        raise RuntimeError("database went away")

    target = tmp_path / "x.csv"
    with pytest.raises(RuntimeError):
        write_csv(rows(), ["id"], target)
    assert list(tmp_path.iterdir()) == []


def test_feedback_csv_has_the_ratings_score_and_notes(
    env: Env, client: TestClient, agent: Actor
) -> None:
    from tests.feedback.helpers import ingest, rate

    m = ingest(client, agent, "score-1", "Where is my parcel? It was due on Monday.")
    rate(client, agent, m["id"], useful=False, score=4, notes="first thought")
    # A re-rating replaces the earlier one: the export shows the rating the row shows.
    notes = 'Missed the "tracking" link, 2nd line:\nwrite to ann@example.com — merci'
    rate(client, agent, m["id"], useful=False, score=2, notes=notes)
    _replays(env.settings, 1)  # a row sent by another system, with no rating behind it

    out = env.tmp / "feedback.csv"
    result = runner.invoke(cli, ["export", "feedback", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header.startswith('"id","created_at","message_id","topic","assistant_version",')
    assert '"feedback","score","notes","message"' in header
    rated, posted = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rated["feedback"] == "no" and rated["score"] == "2"
    assert rated["notes"] == notes.replace("ann@example.com", "[email]")
    assert posted["score"] == "" and posted["notes"] == ""
    assert rated["created_at"][:4].isdigit() and "T" in rated["created_at"]

    raw = env.tmp / "raw.csv"
    args = ["export", "feedback", "--out", str(raw), "--no-redact-pii"]
    assert runner.invoke(cli, args).exit_code == 0
    raw_rows = list(csv.DictReader(io.StringIO(raw.read_bytes().decode("utf-8-sig"))))
    assert raw_rows[0]["notes"] == notes
