"""The simulated-failure harness over real interactions."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.evaluation.failures import GENERATORS, Source, simulate
from tests.conftest import Actor, Env
from tests.versions.helpers import CASES, local_version, rejected_interactions

runner = CliRunner()


def test_failure_kinds_are_realistic(sqlite_env: Env) -> None:
    sources = [Source(q, a, f"t{i}") for i, (q, a) in enumerate(CASES)]
    failures = simulate(sources, 42)
    assert {f.kind for f in failures} == set(GENERATORS)
    by_kind = {f.kind: f for f in failures}
    assert by_kind["empty"].bad_reply == ""
    assert "ORD-" in by_kind["hallucinated_number"].bad_reply
    assert by_kind["wrong_topic"].bad_reply != by_kind["wrong_topic"].source.reference
    assert not by_kind["truncated"].bad_reply.endswith(".")


def test_harness_reports_quality_speed_and_drift(
    sqlite_env: Env, client: TestClient, agent: Actor
) -> None:
    rejected_interactions(client, agent)
    local_version(sqlite_env, "v1.1", list(CASES))
    result = runner.invoke(cli, ["harness", "--count", "105", "--candidate", "v1.1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["cases"] == 105 and set(report["by_kind"]) == set(GENERATORS)
    assert report["score_after_mean"] > report["score_before_mean"]
    assert report["by_kind"]["empty"]["score_before_mean"] == 0.0
    assert report["drift"]["topic"] == 0.0 and report["passed"]
    assert report["latency_ms"]["p95"] >= report["latency_ms"]["p50"]

    strict = sqlite_env.settings.model_copy(update={"gate_max_drift": -1.0})
    from smartinbox.evaluation import harness
    from smartinbox.versions.engines import engine_for_version

    with sqlite_env.session() as s:
        failures = harness.failures_from(s, 10)
    engine = engine_for_version(strict, None, {})
    assert not harness.run(strict, failures, engine, engine)["passed"]
