"""Long label names and corrections of urgency, sentiment and spam, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from smartinbox.config import Settings
from smartinbox.inbox.corrections import training_rows
from smartinbox.migrations import runner
from tests.conftest import Actor, Env, drain

BODY = "The checkout has been down for an hour and nobody can pay"
LONG_TOPIC = ("Credit reporting, credit repair services, or other personal consumer reports - "
              "incorrect information on your report - information belongs to someone else ") * 2  # fmt: skip
LONG_TOPIC = LONG_TOPIC[:200].strip() + "x" * (200 - len(LONG_TOPIC[:200].strip()))


def _ingest(client: TestClient, agent: Actor) -> int:
    r = client.post(
        "/api/messages",
        json={"channel": "email", "external_id": "f-1", "subject": "Down", "body": BODY},
        headers=agent.headers,
    )
    assert r.status_code == 201, r.text
    drain()
    return int(r.json()["id"])


def _correct(client: TestClient, agent: Actor, message_id: int, field: str, value: str) -> dict:  # type: ignore[type-arg]
    r = client.post(
        f"/api/messages/{message_id}/corrections",
        # A long topic of the team's own is introduced on purpose, as a new topic.
        json={"field": field, "value": value, "new_topic": field == "topic"},
        headers=agent.headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_200_character_topic_is_stored_and_shown_in_full(
    env: Env, client: TestClient, agent: Actor
) -> None:
    assert len(LONG_TOPIC) == 200
    message_id = _ingest(client, agent)
    assert _correct(client, agent, message_id, "topic", LONG_TOPIC)["value"] == LONG_TOPIC
    shown = client.get(f"/api/messages/{message_id}", headers=agent.headers).json()
    assert shown["analysis"]["topic"] == LONG_TOPIC
    # The analytics roll-up (fed by triggers on the corrected tables) takes the long label.
    drain()
    with env.session() as s:
        assert training_rows(s, "topic") == [(f"Down\n{BODY}", LONG_TOPIC)]
    too_long = client.post(
        f"/api/messages/{message_id}/corrections",
        json={"field": "kind", "value": "k" * 201},
        headers=agent.headers,
    )
    assert too_long.status_code == 422 and "value" in too_long.text


def test_urgency_sentiment_and_spam_corrections_set_the_score_and_train(
    env: Env, client: TestClient, agent: Actor
) -> None:
    message_id = _ingest(client, agent)
    urgency = _correct(client, agent, message_id, "urgency", " p1 ")
    assert urgency["value"] == "P1"
    assert _correct(client, agent, message_id, "sentiment", "Negative")["value"] == "negative"
    assert _correct(client, agent, message_id, "spam", "ham")["value"] == "0"
    analysis = client.get(f"/api/messages/{message_id}", headers=agent.headers).json()["analysis"]
    assert (analysis["urgency"], analysis["sentiment"], analysis["spam"]) == (0.95, -1.0, 0.0)
    assert all(analysis["confidence"][f] == 1.0 for f in ("urgency", "sentiment", "spam"))
    with env.session() as s:
        assert training_rows(s, "urgency") == [(f"Down\n{BODY}", "P1")]
        assert training_rows(s, "sentiment") == [(f"Down\n{BODY}", "negative")]
        assert training_rows(s, "spam") == [(f"Down\n{BODY}", "0")]
    # A number is no urgency label for one message: its scale is a file's, not the engine's.
    r = client.post(
        f"/api/messages/{message_id}/corrections",
        json={"field": "urgency", "value": "3"},
        headers=agent.headers,
    )
    assert r.status_code == 422 and "urgency" in r.text and "value" in r.text


def test_sqlite_label_columns_widen_and_the_analytics_triggers_still_fire(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    settings = Settings(database_url=url)
    runner.upgrade(settings, "0006")
    engine = create_engine(url)

    def declared(table: str, column: str) -> str:
        with engine.connect() as conn:
            rows = conn.execute(text(f"PRAGMA table_info({table})")).all()
        return next(str(r[2]) for r in rows if r[1] == column)

    def triggers() -> list[str]:
        with engine.connect() as conn:
            return sorted(
                str(r[0])
                for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))
            )

    before = triggers()
    assert before and declared("analyses", "topic") == "VARCHAR(64)"
    runner.upgrade(settings)
    assert declared("analyses", "topic") == "VARCHAR(200)"
    assert declared("messages", "label_kind") == "VARCHAR(200)"
    assert declared("label_corrections", "value") == "VARCHAR(200)"
    assert triggers() == before
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO messages (channel, external_id, subject, body, body_format, "
                "status, source, received_at, created_at, updated_at, label_topic) VALUES "
                "('web', 'w-1', '', 'hi', 'text', 'open', 'api', :at, :at, :at, :topic)"
            ),
            {"topic": LONG_TOPIC, "at": "2026-12-05 10:00:00.000000"},
        )
        assert conn.execute(text("SELECT count(*) FROM analytics_dirty")).scalar() == 1
        stored = conn.execute(text("SELECT label_topic FROM messages")).scalar()
        assert stored == LONG_TOPIC
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    runner.downgrade(settings, "0006")
    assert declared("analyses", "topic") == "VARCHAR(64)" and triggers() == before
    engine.dispose()


def test_an_imported_200_character_label_is_kept_and_a_longer_one_is_a_row_problem(
    env: Env, tmp_path: Path
) -> None:
    from smartinbox.inbox.importer import ColumnMap, import_file
    from smartinbox.models import Message

    path = tmp_path / "history.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["body", "category"])
        writer.writerows([("first", LONG_TOPIC), ("second", "y" * 5000), ("third", "billing")])
    report = import_file(
        path, env.settings, ColumnMap(text="body", topic="category"), analyze=False
    )
    assert report.created == 2
    assert [(p.line, p.message) for p in report.problems] == [
        (3, "column 'category' (topic label) has 5000 characters; at most 200")
    ]
    with env.session() as s:
        labels = sorted(str(m.label_topic) for m in s.scalars(select(Message)))
    assert labels == sorted([LONG_TOPIC, "billing"])
