"""History import: streamed, bad rows reported by line and skipped, re-runs add nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.inbox.importer import ColumnMap, import_file
from smartinbox.models import AgentReply, Message
from smartinbox.worker import huey
from tests.conftest import Env


def _write_csv(path: Path, rows: int) -> dict[int, str]:
    """A CSV with a few broken rows; returns {line number: why it is bad}."""
    bad: dict[int, str] = {}
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["ticket", "text", "subject", "email", "name", "created", "reply", "category"]
        )
        line = 1
        for i in range(rows):
            line += 1
            body = f"Hello, my order {100000 + i} has not arrived.\nCan you check? ({i})"
            created = f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:15:00Z"
            email = f"customer{i}@example.com"
            if i % 1000 == 17:
                body, bad[line] = "", "empty"
            elif i % 1000 == 401:
                created, bad[line] = "not a date", "date"
            elif i % 1000 == 777:
                email, bad[line] = "broken-email", "email"
            writer.writerow(
                [
                    f"T{i}",
                    body,
                    f"Order {i}",
                    email,
                    f"Customer {i}",
                    created,
                    f"Reply {i}",
                    "delivery",
                ]
            )
            line += body.count("\n")  # a quoted body can span several physical lines
    return bad


def test_import_10000_rows_with_bad_rows_then_rerun(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    bad = _write_csv(path, 10_000)
    cols = ColumnMap(
        text="text",
        subject="subject",
        customer_email="email",
        customer_name="name",
        received_at="created",
        agent_reply="reply",
        topic="category",
        external_id="ticket",
    )
    report = import_file(path, env.settings, cols, analyze=False)
    assert report.rows == 10_000
    assert report.skipped == len(bad) == 30
    assert report.created == 10_000 - 30
    assert {p.line for p in report.problems} == set(bad)
    messages = {p.line: p.message for p in report.problems}
    first_empty = min(line for line, why in bad.items() if why == "empty")
    assert "body" in messages[first_empty]
    first_date = min(line for line, why in bad.items() if why == "date")
    assert "received" in messages[first_date] or "date" in messages[first_date].lower()

    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 9_970
        assert s.scalar(select(func.count()).select_from(AgentReply)) == 9_970
        m = s.scalars(select(Message).where(Message.external_id == "T5")).one()
        assert m.label_topic == "delivery" and m.status == "replied" and m.source == "import"
        assert m.received_at.isoformat().startswith("2026-03-06T05:15")

    again = import_file(path, env.settings, cols, analyze=False)
    assert again.created == 0 and again.existing == 9_970
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 9_970


def test_jsonl_import_without_id_column_is_idempotent_by_content(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    lines = [
        json.dumps({"message": "Can I pay by invoice?", "kind": "question"}),
        "{not json",
        json.dumps({"message": "Where is my parcel?"}),
        json.dumps(["a list"]),
        json.dumps({"other": "no message column"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(path, env.settings, ColumnMap(text="message", kind="kind"))
    assert report.created == 2
    assert [(p.line, p.message.split(":")[0]) for p in report.problems] == [
        (2, "invalid JSON"),
        (4, "line is not a JSON object"),
        (5, "column 'message' (message text) is missing"),
    ]
    assert huey.pending_count() >= 1  # triage was queued for the new rows
    assert import_file(path, env.settings, ColumnMap(text="message")).created == 0


def test_invalid_utf8_row_is_reported_and_others_import(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"body\nfine one\nbroken \xff\xfe bytes\nfine two\n")
    report = import_file(path, env.settings, ColumnMap(text="body"), analyze=False)
    assert report.created == 2
    assert [(p.line, p.message) for p in report.problems] == [(3, "row is not valid UTF-8")]


def test_cli_import_prints_the_report(sqlite_env: Env, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text('text\nhello there\n""\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["import", str(path), "--text-col", "text", "--json", "--no-analyze"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["created"] == 1 and report["skipped"] == 1
    assert report["problems"][0]["line"] == 3


def test_an_html_reply_is_imported_as_the_text_the_agent_sent(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    reply = (
        "<div>Hi Anna,<br>your order <b>#4711</b> ships   today.</div>"
        "<p>To follow it:</p><ol><li>Log in</li><li>Open &quot;Orders&quot;</li></ol>"
        "<p>Best,<br/>Sam</p>"
    )
    rows = [
        {"id": "Z1", "body": "<p>Where is order #4711?</p>", "reply": reply},
        {"id": "Z2", "body": "And my refund?", "reply": "<div><br></div>"},  # no visible text
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    cols = ColumnMap(text="body", agent_reply="reply", external_id="id")
    assert import_file(path, env.settings, cols, analyze=False).created == 2
    with env.session() as s:
        stored = s.scalars(select(AgentReply)).all()
        assert [r.text for r in stored] == [
            'Hi Anna,\nyour order #4711 ships today.\n\nTo follow it:\n\n- Log in\n- Open "Orders"'
            "\n\nBest,\nSam"
        ]
        # The message keeps its body as sent; the inbox reads its visible text.
        body = s.scalars(select(Message.body).where(Message.external_id == "Z1")).one()
        assert body == "<p>Where is order #4711?</p>"
