"""Agents' corrections of topic or kind: stored, shown, and used as training labels."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox import config
from smartinbox.inbox.corrections import training_rows
from smartinbox.models import LabelCorrection
from tests.conftest import Actor, Env, drain

BODY = "I was charged twice for my subscription this month"


def _ingest(client: TestClient, agent: Actor, ext: str = "c-1") -> int:
    r = client.post(
        "/api/messages",
        json={"channel": "email", "external_id": ext, "subject": "Charge", "body": BODY},
        headers=agent.headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_correction_via_api_is_shown_and_becomes_a_training_row(
    env: Env, client: TestClient, agent: Actor
) -> None:
    message_id = _ingest(client, agent)
    drain()
    predicted = client.get(f"/api/messages/{message_id}", headers=agent.headers).json()
    old_topic = predicted["analysis"]["topic"]

    r = client.post(
        f"/api/messages/{message_id}/corrections",
        json={"field": "topic", "value": "  double   billing ", "new_topic": True},
        headers=agent.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["old_value"] == old_topic and r.json()["value"] == "double billing"
    shown = client.get(f"/api/messages/{message_id}", headers=agent.headers).json()
    assert shown["analysis"]["topic"] == "double billing"
    assert shown["analysis"]["confidence"]["topic"] == 1.0

    # A second correction of the same message wins; only it is a training row.
    client.post(
        f"/api/messages/{message_id}/corrections",
        json={"field": "topic", "value": "billing", "new_topic": True},
        headers=agent.headers,
    )
    with env.session() as s:
        assert len(s.scalars(select(LabelCorrection)).all()) == 2
        assert training_rows(s, "topic") == [(f"Charge\n{BODY}", "billing")]
        assert training_rows(s, "kind") == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"field": "colour", "value": "x"}, "field"),
        ({"field": "topic", "value": ""}, "value"),
        ({"field": "topic", "value": "x" * 201}, "value"),
        ({"field": "kind", "value": "banana"}, "value"),
        ({"field": "topic", "value": "banana"}, "value"),
        ({"field": "urgency", "value": "soon"}, "value"),
        ({"field": "sentiment", "value": "angry"}, "value"),
        ({"field": "spam", "value": "perhaps"}, "value"),
    ],
)
def test_bad_corrections_name_the_field(
    sqlite_env: Env, client: TestClient, agent: Actor, payload: dict[str, str], field: str
) -> None:
    message_id = _ingest(client, agent)
    r = client.post(f"/api/messages/{message_id}/corrections", json=payload, headers=agent.headers)
    assert r.status_code == 422
    assert field in r.text
    missing = client.post("/api/messages/999999/corrections", json={"field": "topic", "value": "a"},
                          headers=agent.headers)  # fmt: skip
    assert missing.status_code == 404


def test_correction_form_on_the_message_page_trains_the_team_head(
    sqlite_env: Env,
    client: TestClient,
    agent: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message_id = _ingest(client, agent)
    drain()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    client.post(
        "/login",
        data={"email": agent.email, "password": agent.password, "csrf_token": token.group(1)},
    )
    html = client.get(f"/messages/{message_id}").text
    assert 'action="/messages/' in html and "Save correction" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert csrf
    r = client.post(
        f"/messages/{message_id}/corrections",
        data={"field": "topic", "new_topic": "billing", "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text

    # Train on a copy of the models: the team's CSV plus the agent's correction.
    models = tmp_path / "models"
    shutil.copytree(sqlite_env.settings.resolved_models_dir(), models)
    monkeypatch.setenv("SMARTINBOX_MODELS_DIR", str(models))
    config.get_settings.cache_clear()
    data = tmp_path / "history.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(
            [("my invoice amount is wrong", "billing"), ("refund the extra charge", "billing")]
            + [(f"the app crashes on screen {n}", "bugs") for n in range(3)]
        )
    result = CliRunner().invoke(app_cli(), ["train", "triage", "--data", str(data)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "5 rows from" in said and "1 from agents' corrections" in said
    assert "6 rows, 2 labels" in said


def app_cli() -> typer.Typer:
    from smartinbox.cli import app

    return app


def test_corrections_choose_from_the_known_lists(
    sqlite_env: Env, client: TestClient, agent: Actor
) -> None:
    message_id = _ingest(client, agent)
    drain()
    kinds = client.get("/api/messages/labels/kind", headers=agent.headers).json()
    topics = client.get("/api/messages/labels/topic", headers=agent.headers).json()
    assert {"complaint", "question", "urgent", "casual", "spam"} <= set(kinds)
    predicted = client.get(f"/api/messages/{message_id}", headers=agent.headers).json()
    assert predicted["analysis"]["topic"] in topics
    banana = client.post(
        f"/api/messages/{message_id}/corrections",
        json={"field": "kind", "value": "banana"},
        headers=agent.headers,
    )
    assert banana.status_code == 422
    assert "'banana' is not a known kind" in banana.json()["detail"]["message"]
    ok = client.post(
        f"/api/messages/{message_id}/corrections",
        json={"field": "kind", "value": "complaint"},
        headers=agent.headers,
    )
    assert ok.status_code == 201, ok.text
    new = client.post(
        f"/api/messages/{message_id}/corrections",
        json={"field": "topic", "value": "loyalty points", "new_topic": True},
        headers=agent.headers,
    )
    assert new.status_code == 201
    after = client.get("/api/messages/labels/topic", headers=agent.headers).json()
    assert "loyalty points" in after
