"""The whole loop on a real database, ending in a local retraining run and its candidate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox.ai import training as ai_training
from smartinbox.ai.engine import MessageInput
from smartinbox.cli import app as cli
from smartinbox.feedback.jsonl import ValidationReport
from smartinbox.feedback.local_retrain import load_candidate
from smartinbox.models import AssistantVersion
from tests.conftest import Actor, Env
from tests.feedback.helpers import ingest, rate, reply

runner = CliRunner()
QUESTION = "Can I pay my invoice with PayPal instead of a credit card?"
PARAPHRASE = "Is it possible to settle the invoice using PayPal rather than my credit card?"
CORRECTION = (
    "Yes: open Billing > Payment methods, choose PayPal and confirm; the invoice updates at once."
)


def test_feedback_to_candidate_version(
    env: Env, client: TestClient, agent: Actor, admin: Actor, tmp_path: Path
) -> None:
    m = ingest(client, agent, "loop-1", QUESTION)
    rate(client, agent, m["id"], useful=False, notes="not about PayPal")
    reply(client, agent, m["id"], CORRECTION)
    for i in range(10):  # enough other corrections for a valid fine-tuning file
        other = ingest(client, agent, f"loop-o{i}", f"Question {i} about delivery slot {i}?")
        rate(client, agent, other["id"], useful=False)
        reply(client, agent, other["id"], f"Delivery slot {i} is confirmed for Tuesday morning.")

    out = tmp_path / "train.jsonl"
    result = runner.invoke(cli, ["export", "training", "--format", "jsonl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    check = ValidationReport(max_tokens=4096, min_examples=10)
    assert all(check.check(r) for r in records) and check.ok
    assert any(r["messages"][-1]["content"] == CORRECTION for r in records)

    result = runner.invoke(cli, ["retrain", "--provider", "local"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "candidate" and outcome["version_tag"] == "v1.1"
    with env.session() as s:
        version = s.scalars(
            select(AssistantVersion).where(AssistantVersion.version_tag == "v1.1")
        ).one()
        assert version.status == "candidate" and version.provider == "local"
        data = version.settings["data"]
        assert data["labelled"]["agent_replies"] == 11 and data["labelled"]["ratings"] == 11
        assert data["file_sha256"] and data["labelled"]["date_from"]
        artifacts = dict(version.artifacts)
    assert artifacts["reply_memory_items"] == 11 and len(artifacts["reply_memory_sha256"]) == 64

    # Live already learned these replies instantly, so the promotion gate would see a tie and
    # refuse; promoting by hand is the admin's call.
    result = runner.invoke(cli, ["versions", "promote", "v1.1", "--force"])
    assert result.exit_code == 0, result.output
    with env.session() as s:
        tags = dict(s.execute(select(AssistantVersion.version_tag, AssistantVersion.status)).all())
    assert tags == {"v1.0": "retired", "v1.1": "live"}

    if not hasattr(ai_training, "load_local_engine"):
        pytest.skip("the local engine is not built into this checkout")
    engine = load_candidate(artifacts)
    message = MessageInput(body=PARAPHRASE)
    suggestion = engine.suggest(message, engine.analyze([message])[0])
    assert suggestion.text == CORRECTION
