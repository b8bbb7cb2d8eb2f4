"""The simulated-failure harness over real interactions."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.evaluation.failures import GENERATORS, Source, simulate
from smartinbox.models import HarnessCase, HarnessRun
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

    # The run and every case with its improvement are stored, and shown again as they were.
    run_id = report["run_id"]
    with sqlite_env.session() as s:
        cases = s.scalars(select(HarnessCase).where(HarnessCase.run_id == run_id)).all()
        assert len(cases) == 105 and {c.kind for c in cases} == set(GENERATORS)
        assert all(c.improved_reply and c.latency_ms > 0 for c in cases)
        assert sum(c.fixed for c in cases) / 105 == report["share_fixed"]
        empty = next(c for c in cases if c.kind == "empty")
        assert empty.bad_reply == "" and empty.score_before == 0.0
        assert empty.comments["before"] == ["The reply is empty."]
    listed = runner.invoke(cli, ["harness", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.stdout)
    assert runs[0]["run_id"] == run_id and runs[0]["status"] == "finished"
    assert runs[0]["share_fixed"] == report["share_fixed"] and runs[0]["candidate"] == "v1.1"
    shown = runner.invoke(cli, ["harness", "show", str(run_id), "--json"])
    assert shown.exit_code == 0, shown.output
    stored = json.loads(shown.stdout)
    assert stored["report"] == {k: v for k, v in report.items() if k != "run_id"}
    assert [c["position"] for c in stored["cases"]] == list(range(105))
    first = stored["cases"][0]
    assert {"bad_reply", "improved_reply", "score_before", "score_after", "latency_ms"} <= set(
        first
    )
    api = client.get(f"/api/harness-runs/{run_id}", headers=agent.headers)
    assert api.status_code == 200 and api.json() == stored
    assert client.get("/api/harness-runs", headers=agent.headers).json()[0]["run_id"] == run_id
    assert client.get("/api/harness-runs/999999", headers=agent.headers).status_code == 404
    text = runner.invoke(cli, ["harness", "list"])
    assert text.exit_code == 0 and f"#{run_id}" in text.stdout and "v1.0 vs v1.1" in text.stdout
    text = runner.invoke(cli, ["harness", "show", str(run_id)])
    assert text.exit_code == 0 and "wrong_language" in text.stdout
    missing = runner.invoke(cli, ["harness", "show", "999999"])
    assert missing.exit_code == 1 and "does not exist" in missing.output

    strict = sqlite_env.settings.model_copy(update={"gate_max_drift": -1.0})
    from smartinbox.evaluation import harness
    from smartinbox.versions.engines import engine_for_version

    with sqlite_env.session() as s:
        failures = harness.failures_from(s, 10)
    engine = engine_for_version(strict, None, {})
    assert not harness.run(strict, failures, engine, engine)["passed"]


def test_interrupted_harness_run_resumes_without_redoing_cases(
    env: Env, client: TestClient, agent: Actor
) -> None:
    from smartinbox.evaluation import harness, stress

    rejected_interactions(client, agent)
    with env.session() as s:
        live, cand = stress.resolve_versions(s, None)
        failures = harness.failures_from(s, harness.CHUNK + 10)
        run_id = harness.start(s, failures, live, cand, {"count": len(failures)}).id

    def crash(done: int, total: int) -> None:
        raise KeyboardInterrupt  # the process dies after its first chunk was written

    with pytest.raises(KeyboardInterrupt):
        harness.execute(env.settings, run_id, progress=crash)
    with env.session() as s:
        first = {c.position: c.id for c in s.scalars(select(HarnessCase))}
        assert s.get(HarnessRun, run_id).status == "running"  # type: ignore[union-attr]
    assert sorted(first) == list(range(harness.CHUNK))
    resumed = runner.invoke(cli, ["harness", "--resume", str(run_id), "--json"])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout.strip().splitlines()[-1])["cases"] == len(failures)
    with env.session() as s:
        cases = {c.position: c.id for c in s.scalars(select(HarnessCase))}
    assert sorted(cases) == list(range(len(failures)))
    assert all(cases[p] == i for p, i in first.items())
