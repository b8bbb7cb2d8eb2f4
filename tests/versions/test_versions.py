"""Freezing, editing and copying versions, the prompt diff, statistics and a resumed stress test."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartinbox.evaluation import stress
from smartinbox.models import StressTestLog
from tests.conftest import Actor, Env
from tests.versions.helpers import CASES, learned, local_version, rejected_interactions


def test_freeze_edit_copy_and_diff(
    env: Env, client: TestClient, agent: Actor, admin: Actor
) -> None:
    local_version(env, "v1.1", list(CASES[:2]))
    r = client.patch("/api/versions/v1.1", json={"system_prompt": "Prompt of v1.1.\nBe brief."},
                     headers=admin.headers)  # fmt: skip
    assert r.status_code == 200 and r.json()["system_prompt"].endswith("Be brief.")
    assert client.patch("/api/versions/v1.1", json={"description": "x"},
                        headers=agent.headers).status_code == 403  # fmt: skip
    assert client.post("/api/versions/v1.1/freeze", headers=admin.headers).json()["frozen"]
    r = client.patch("/api/versions/v1.1", json={"system_prompt": "changed"}, headers=admin.headers)
    assert r.status_code == 409 and "copy" in r.json()["detail"]["message"]
    copy = client.post("/api/versions/v1.1/copy", json={}, headers=admin.headers).json()
    assert copy["version_tag"] == "v1.2" and not copy["frozen"] and copy["status"] == "candidate"
    assert copy["artifacts"]["reply_memory_sha256"]

    client.patch("/api/versions/v1.2", json={"system_prompt": "Prompt of v1.2.\nBe brief.",
                 "few_shot": [{"user": "Hi", "assistant": "Hello!"}]}, headers=admin.headers)  # fmt: skip
    diff = client.get("/api/versions/diff?old=v1.1&new=v1.2", headers=agent.headers).json()
    sections = {s["key"]: s for s in diff["sections"]}
    lines = [(line["op"], line["text"]) for line in sections["system_prompt"]["lines"]]
    assert lines == [
        ("removed", "Prompt of v1.1."),
        ("added", "Prompt of v1.2."),
        ("same", "Be brief."),
    ]
    assert sections["few_shot"]["changed"] and not sections["settings"]["changed"]
    assert "+assistant: Hello!" in sections["few_shot"]["unified"]

    listed = client.get("/api/versions", headers=agent.headers).json()
    assert [v["version_tag"] for v in listed] == ["v1.1", "v1.2"]


def test_statistics_on_known_data(env: Env, client: TestClient, agent: Actor) -> None:
    rejected_interactions(client, agent)  # six replies by v1.0, all rated "no", all replaced
    local_version(env, "v1.1", list(CASES))
    body = client.get("/api/versions/stats?old=v1.0&new=v1.1", headers=agent.headers).json()
    assert body["old"]["replies"] == len(CASES) and body["old"]["rated"] == len(CASES)
    assert body["old"]["useful"] == 0 and body["new"]["replies"] == 0
    rows = {r["metric"]: r for r in body["rows"]}
    assert rows["useful_share"]["old"] == 0.0 and rows["useful_share"]["new"] is None
    assert rows["useful_share"]["p_value"] is None
    assert rows["usage_share"]["n_old"] == len(CASES)


@pytest.mark.parametrize("chunk", [2])
def test_stress_test_resumes_without_redoing_rows(
    env: Env, client: TestClient, agent: Actor, chunk: int
) -> None:
    rejected_interactions(client, agent)
    local_version(env, "v1.1", learned())
    settings = env.settings.model_copy(
        update={"stress_test_chunk": chunk, "stress_test_workers": 2}
    )
    with env.session() as s:
        live, cand = stress.resolve_versions(s, None)
        assert cand.version_tag == "v1.1"
        run_id = stress.start(s, stress.from_replays(s, 30, 100), live, cand, {}).id

    def crash(done: int, total: int) -> None:
        raise KeyboardInterrupt  # the process dies after its first chunk was written

    with pytest.raises(KeyboardInterrupt):
        stress.execute(settings, run_id, crash)
    with env.session() as s:
        first = {r.interaction_key: r.id for r in s.scalars(select(StressTestLog))}
    assert len(first) == chunk
    summary = stress.execute(settings, run_id)
    # Live learned the agents' replies instantly, the candidate from its memory: all ties.
    assert summary["rows"] == len(CASES) and summary["ties"] == len(CASES)
    with env.session() as s:
        rows = {r.interaction_key: r.id for r in s.scalars(select(StressTestLog))}
    assert len(rows) == len(CASES) and all(rows[k] == v for k, v in first.items())
    report = client.get(f"/api/stress-tests/{run_id}", headers=agent.headers).json()
    assert report["status"] == "finished" and report["outliers"] == []
