"""A stress test grades a candidate only on interactions newer than its training data."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.evaluation import gate, stress
from smartinbox.kit.errors import ValidationFailed
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AssistantVersion, StressTestRun
from tests.conftest import Actor, Env
from tests.versions.helpers import CASES, WRONG, learned, local_version, rejected_interactions

runner = CliRunner()


def _queries(tmp_path: Path, questions: list[str]) -> Path:
    path = tmp_path / "queries.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["message"])
        writer.writerows([q] for q in questions)
    return path


def test_a_stress_test_on_the_candidates_own_training_queries_is_refused_or_marked(
    env: Env, tmp_path: Path
) -> None:
    local_version(env, "v1.1", [(q, WRONG) for q, _ in CASES])  # trained on these questions
    own = _queries(tmp_path, [q for q, _ in CASES])
    refused = runner.invoke(cli, ["stress-test", "--candidate", "v1.1", "--queries", str(own)])
    assert refused.exit_code == 1
    assert "6 of 6 queries are in v1.1's training data" in " ".join(refused.output.split())
    with env.session() as s:
        assert s.scalars(select(StressTestRun)).all() == []

    marked = runner.invoke(cli, ["stress-test", "--candidate", "v1.1", "--queries", str(own),
                                 "--allow-overlap", "--json"])  # fmt: skip
    assert marked.exit_code == 0, marked.output
    summary = json.loads(marked.stdout.strip().splitlines()[-1])
    assert summary["time_split"]["overlap"] == len(CASES)
    assert summary["time_split"]["allow_overlap"] is True
    reasons = gate.check(summary, env.settings)
    assert reasons and "own training data" in reasons[0]

    fresh = _queries(tmp_path, ["Do you ship to Canada, and how long does it take?"])
    clean = runner.invoke(cli, ["stress-test", "--candidate", "v1.1", "--queries", str(fresh),
                                "--json"])  # fmt: skip
    assert clean.exit_code == 0, clean.output
    split = json.loads(clean.stdout.strip().splitlines()[-1])["time_split"]
    assert split["overlap"] == 0 and split["excluded"] == 0 and split["training_messages"] == 6


def test_replays_older_than_the_training_data_are_left_out_and_recorded(
    env: Env, client: TestClient, agent: Actor
) -> None:
    rejected_interactions(client, agent)
    version_id = local_version(env, "v1.1", learned())
    with env.session() as s:
        # A retrained candidate records when its training data was read: after these replays.
        version = s.get(AssistantVersion, version_id)
        assert version is not None
        version.settings = {"data": {"created_at": utcnow().isoformat()}}
    with env.session() as s, pytest.raises(ValidationFailed) as refused:
        live, cand = stress.resolve_versions(s, "v1.1")
        stress.start(s, stress.from_replays(s, 30, 100), live, cand, {})
    assert "newer than it" in refused.value.message

    with env.session() as s:
        version = s.get(AssistantVersion, version_id)
        assert version is not None
        earlier = utcnow() - timedelta(days=1)
        version.settings = {"data": {"created_at": earlier.isoformat()}}
        live, cand = stress.resolve_versions(s, "v1.1")
        run = stress.start(s, stress.from_replays(s, 30, 100), live, cand, {})
        split = run.params["time_split"]
        assert split["trained_until"] == earlier.isoformat() and split["excluded"] == 0
        assert len(run.params["interactions"]) == len(CASES)


def test_the_gate_refuses_a_candidate_with_nothing_newer_than_its_training(
    env: Env, client: TestClient, agent: Actor
) -> None:
    rejected_interactions(client, agent)
    local_version(env, "v1.1", list(CASES))  # learned from the very interactions rated "no"
    result = runner.invoke(cli, ["versions", "promote", "v1.1", "--json"])
    assert result.exit_code == 2, result.output
    refused = json.loads(result.stdout.strip().splitlines()[-1])
    assert not refused["promoted"]
    assert refused["reasons"] == [
        "no interactions rated 'no', newer than the candidate's training data, to stress-test with"
    ]
