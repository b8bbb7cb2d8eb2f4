"""Local retraining refits the team's triage heads on its imported labels and agents' corrections."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox.ai.artifacts import read_manifest
from smartinbox.ai.engine import MessageInput
from smartinbox.cli import app as cli
from smartinbox.feedback.local_retrain import load_candidate
from smartinbox.models import AssistantVersion
from smartinbox.versions.engines import live_engine
from tests.conftest import Actor, Env
from tests.feedback.helpers import ingest

runner = CliRunner()
# The team's history, imported with its own topic labels.
HISTORY = {
    "plugin-sync": [
        "The Shopify plugin stopped syncing my products",
        "Plugin sync to WooCommerce fails every night",
        "my catalogue does not sync through the plugin anymore",
        "Products missing after the plugin sync ran",
        "sync error in the plugin dashboard since yesterday",
        "Why is the plugin not syncing stock levels?",
        "inventory sync via plugin is stuck",
    ],
    "vat-invoices": [
        "I need a VAT invoice for my company",
        "Please add our VAT number to the invoices",
        "The invoice is missing the VAT breakdown",
        "can you reissue the invoice with VAT details",
        "Our accountant needs VAT invoices for last quarter",
        "Where do I download VAT invoices?",
        "VAT number on invoice is wrong",
    ],
    "seat-licences": [
        "How do I add more seats to our licence?",
        "We need five extra user seats",
        "remove two seats from the team licence",
        "Can I transfer a seat licence to a new colleague?",
        "our licence seats are all used up",
        "upgrade licence to 20 seats please",
        "What does an additional seat cost?",
    ],
}
KINDS = {"plugin-sync": "complaint", "vat-invoices": "question", "seat-licences": "question"}
# New messages agents file under a topic the team never had.
NEW_TOPIC = "carbon-offset"
CORRECTED = [
    "Can you plant trees to offset the carbon footprint of my delivery?",
    "I want to pay extra so the CO2 emissions of my shipment are offset",
    "Do you offer carbon offsetting for parcels sent abroad?",
]
PARAPHRASE = "Is there a way to compensate the carbon emissions of my order's shipping?"


def _import_history(env: Env) -> None:
    path = env.tmp / "history.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["message", "category", "type"])
        writer.writerows((text, label, KINDS[label]) for label, texts in HISTORY.items()
                         for text in texts)  # fmt: skip
    args = ["import", str(path), "--text-col", "message", "--topic-col", "category",
            "--kind-col", "type", "--no-analyze", "--json"]  # fmt: skip
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output


def _correct(client: TestClient, agent: Actor, texts: list[str], topic: str) -> None:
    for n, text in enumerate(texts):
        message = ingest(client, agent, f"{topic}-{n}", text)
        r = client.post(f"/api/messages/{message['id']}/corrections",
                        json={"field": "topic", "value": topic, "new_topic": True},
                        headers=agent.headers)  # fmt: skip
        assert r.status_code == 201, r.text


def _retrain(env: Env) -> tuple[dict[str, Any], dict[str, Any]]:
    result = runner.invoke(cli, ["retrain", "--provider", "local"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "candidate", outcome
    with env.session() as s:
        version = s.scalars(
            select(AssistantVersion).where(AssistantVersion.version_tag == outcome["version_tag"])
        ).one()
        return dict(version.settings["data"]), dict(version.artifacts)


def test_corrections_to_a_new_label_reach_the_candidates_triage(
    env: Env, client: TestClient, agent: Actor
) -> None:
    _import_history(env)
    _correct(client, agent, CORRECTED, NEW_TOPIC)
    paraphrase = MessageInput(body=PARAPHRASE)
    assert live_engine(env.settings).analyze([paraphrase])[0].topic != NEW_TOPIC

    data, artifacts = _retrain(env)

    topic = data["triage_heads"]["topic"]
    assert topic["trained"] is True
    assert (topic["rows"], topic["corrections"], topic["imported"]) == (24, 3, 21)
    assert topic["labels"] == {NEW_TOPIC: 3, "plugin-sync": 7, "seat-licences": 7,
                               "vat-invoices": 7}  # fmt: skip
    assert topic["date_from"] <= topic["date_to"] and len(topic["content_sha256"]) == 64
    # The record says which regularisation the refit used (24 rows: too few to compare).
    assert topic["head"]["regularisation"]["chosen_on"] == (
        "default: 24 rows are too few to compare strengths"
    )
    kind = data["triage_heads"]["kind"]  # imported kinds only: no agent corrected a kind
    assert kind["trained"] is True and (kind["rows"], kind["corrections"]) == (21, 0)
    assert kind["labels"] == {"complaint": 7, "question": 14}
    assert artifacts["triage_heads"] == data["triage_heads"]
    manifest = read_manifest(Path(artifacts["models_dir"]))
    assert manifest["custom_heads"]["topic"]["rows"] == 24
    assert manifest["custom_heads"]["kind"]["labels"] == ["complaint", "question"]
    assert manifest["version"] == artifacts["models_version"]
    # The live models are untouched: the candidate is a separate folder.
    assert "custom_heads" not in read_manifest(env.settings.resolved_models_dir())

    engine = load_candidate(artifacts)
    triaged = engine.analyze([paraphrase, MessageInput(body="Please add 3 seats to our licence")])
    assert [t.topic for t in triaged] == [NEW_TOPIC, "seat-licences"]


def test_too_few_labels_keep_the_live_heads(env: Env, client: TestClient, agent: Actor) -> None:
    _correct(client, agent, CORRECTED[:2], NEW_TOPIC)  # two corrections, one label

    data, artifacts = _retrain(env)

    topic = data["triage_heads"]["topic"]
    assert topic["trained"] is False and topic["rows"] == 2 and topic["corrections"] == 2
    assert "2 usable labelled rows; retraining needs at least 20" in topic["reason"]
    kind = data["triage_heads"]["kind"]
    assert kind["trained"] is False and kind["rows"] == 0
    assert "no labelled rows" in kind["reason"] and "live kind head is kept" in kind["reason"]
    manifest = read_manifest(Path(artifacts["models_dir"]))
    live = read_manifest(env.settings.resolved_models_dir())
    assert "custom_heads" not in manifest and manifest["files"] == live["files"]


def test_the_inbox_takes_writes_while_the_heads_train(env: Env) -> None:
    from smartinbox.db import session_scope
    from smartinbox.feedback.retrain import run
    from smartinbox.models import Message

    _import_history(env)
    written: list[int] = []

    def progress(step: str, _fraction: float) -> None:
        if step.startswith("embedding") and not written:
            with session_scope(env.settings) as s:  # e.g. a message arriving meanwhile
                message = Message(channel="web", external_id="during-retrain", body="Hello?")
                s.add(message)
                s.flush()
                written.append(message.id)

    result = run(env.settings, provider="local", progress=progress)
    assert result.status == "candidate" and written
    assert result.dataset["triage_heads"]["topic"]["trained"] is True
    with env.session() as s:
        assert s.get(Message, written[0]) is not None
