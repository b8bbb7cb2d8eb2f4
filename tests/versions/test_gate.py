"""The promotion gate on purpose-built versions: a better one goes live, a worse one does not."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.models import AIReply, AssistantVersion, StressTestLog
from tests.conftest import Actor, Env
from tests.feedback.helpers import ingest
from tests.versions.helpers import CASES, WRONG, learned, local_version, rejected_interactions

runner = CliRunner()


def _statuses(env: Env) -> dict[str, tuple[str, bool]]:
    with env.session() as s:
        rows = s.execute(select(AssistantVersion.version_tag, AssistantVersion.status,
                                AssistantVersion.frozen))  # fmt: skip
        return {tag: (status, frozen) for tag, status, frozen in rows}


def test_gate_promotes_the_better_candidate_and_refuses_the_worse(
    env: Env, client: TestClient, agent: Actor
) -> None:
    rejected_interactions(client, agent)
    local_version(env, "v1.1", [("How are you?", "Fine, thanks for asking!")])
    assert runner.invoke(cli, ["versions", "promote", "v1.1", "--force"]).exit_code == 0
    local_version(env, "v1.2", learned([WRONG] * len(CASES)))  # memory of wrong replies
    local_version(env, "v1.3", learned())  # memory of the agents' corrections

    worse = runner.invoke(cli, ["versions", "promote", "v1.2", "--json"])
    assert worse.exit_code == 2, worse.output
    refused = json.loads(worse.stdout.strip().splitlines()[-1])
    assert not refused["promoted"] and any("mean judge score" in r for r in refused["reasons"])
    assert refused["summary"]["losses"] > refused["summary"]["wins"]

    better = runner.invoke(cli, ["versions", "promote", "v1.3", "--json"])
    assert better.exit_code == 0, better.output
    passed = json.loads(better.stdout.strip().splitlines()[-1])
    assert passed["promoted"] and passed["reasons"] == []
    assert passed["summary"]["wins"] == len(CASES) and passed["summary"]["drift"]["topic"] == 0
    assert _statuses(env) == {"v1.0": ("retired", True), "v1.1": ("retired", True),
                              "v1.2": ("candidate", False), "v1.3": ("live", False)}  # fmt: skip
    with env.session() as s:
        gate = s.scalars(select(AssistantVersion.settings)
                         .where(AssistantVersion.version_tag == "v1.2")).one()["gate"]  # fmt: skip
        assert gate["passed"] is False and gate["reasons"] == refused["reasons"]

    # New replies are tagged with the new version and written by its engine (models + memory).
    m = ingest(client, agent, "after-launch", "Is it ok to pay the invoice using PayPal?")
    with env.session() as s:
        row = s.scalars(select(AIReply).where(AIReply.message_id == m["id"])).one()
        tag = s.get(AssistantVersion, row.assistant_version_id)
        assert tag is not None and tag.version_tag == "v1.3"
    assert m["suggestion"]["text"] == CASES[0][1]

    rolled = runner.invoke(cli, ["versions", "rollback"])
    assert rolled.exit_code == 0 and "to v1.1" in rolled.stdout
    assert _statuses(env)["v1.1"][0] == "live" and _statuses(env)["v1.3"][0] == "retired"


def test_stress_test_json_and_outliers(env: Env, client: TestClient, agent: Actor) -> None:
    rejected_interactions(client, agent)
    local_version(env, "v1.1", learned([WRONG] * len(CASES)))
    result = runner.invoke(cli, ["stress-test", "--candidate", "v1.1", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("rows", "wins", "ties", "losses", "mean_score_live", "mean_score_candidate",
                "p95_latency_ms", "run_id"):  # fmt: skip
        assert key in summary
    assert summary["rows"] == len(CASES) and summary["losses"] == len(CASES)
    assert summary["mean_score_candidate"] < summary["mean_score_live"]
    with env.session() as s:
        rows = s.scalars(select(StressTestLog)).all()
        assert len(rows) == len(CASES) and all(r.reference_reply for r in rows)
        assert all("ORD-77123" in " ".join(r.judge_comments["candidate"]) for r in rows), [
            (r.message, r.candidate_reply, r.judge_comments["candidate"]) for r in rows
        ]
