"""Agents' corrections of urgency, sentiment and spam feed local retraining of those heads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox import config
from smartinbox.ai.artifacts import read_manifest
from smartinbox.ai.engine import MessageInput
from smartinbox.cli import app as cli
from smartinbox.feedback.local_retrain import load_candidate
from smartinbox.models import AssistantVersion
from tests.conftest import Actor, Env
from tests.feedback.helpers import ingest

# (message, urgency, sentiment, spam) as the team's agents corrected them.
CORRECTED = [
    ("Our checkout is down, no customer can pay, fix it now", "critical", "negative", "no"),
    ("I was charged three times and the money is gone, refund me today", "critical", "negative", "no"),
    ("The whole site is offline and we are losing orders every minute", "critical", "negative", "no"),
    ("My account was hacked and someone is placing orders", "critical", "negative", "no"),
    ("CHEAP followers for your shop, 10000 likes for 5 dollars, click now", "low", "positive", "yes"),
    ("Congratulations, you won a gift card! Claim your prize at our site", "low", "positive", "yes"),
    ("Boost your SEO ranking today with our amazing backlink package", "low", "positive", "yes"),
    ("Limited offer: designer watches at 90% off, buy now", "low", "positive", "yes"),
]  # fmt: skip
URGENT_NEW = "Payments are failing for every customer right now, our shop is down"
PROMO_NEW = "Get 5000 new followers today, special discount, click the link"


def _retrain(env: Env) -> tuple[dict[str, Any], dict[str, Any]]:
    result = CliRunner().invoke(cli, ["retrain", "--provider", "local"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "candidate", outcome
    with env.session() as s:
        version = s.scalars(
            select(AssistantVersion).where(AssistantVersion.version_tag == outcome["version_tag"])
        ).one()
        return dict(version.settings["data"]), dict(version.artifacts)


def test_corrections_of_urgency_sentiment_and_spam_are_refitted(
    env: Env, client: TestClient, agent: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTINBOX_RETRAIN_MIN_LABELLED_ROWS", "8")
    config.get_settings.cache_clear()
    for n, (text, urgency, sentiment, spam) in enumerate(CORRECTED):
        message = ingest(client, agent, f"fields-{n}", text)
        for field, value in (("urgency", urgency), ("sentiment", sentiment), ("spam", spam)):
            r = client.post(f"/api/messages/{message['id']}/corrections",
                            json={"field": field, "value": value}, headers=agent.headers)  # fmt: skip
            assert r.status_code == 201, r.text

    data, artifacts = _retrain(env)

    heads = data["triage_heads"]
    assert heads["urgency"]["trained"] is True
    assert heads["urgency"]["labels"] == {"critical": 4, "low": 4}
    assert (heads["urgency"]["corrections"], heads["urgency"]["imported"]) == (8, 0)
    assert heads["sentiment"]["labels"] == {"negative": 4, "positive": 4}
    assert heads["spam"]["labels"] == {"0": 4, "1": 4}  # yes/no stored as 1/0
    assert heads["topic"]["trained"] is False  # no topic labels: the live head is kept
    manifest = read_manifest(Path(artifacts["models_dir"]))
    assert set(manifest["custom_heads"]) == {"urgency", "sentiment", "spam"}

    engine = load_candidate(artifacts)
    urgent, promo = engine.analyze([MessageInput(URGENT_NEW), MessageInput(PROMO_NEW)])
    assert urgent.urgency > 0.8 > promo.urgency
    assert urgent.sentiment < 0 < promo.sentiment
    assert urgent.spam < 0.5 < promo.spam
