"""`smartinbox eval judge`: the judge's agreement with agents' ratings, on known data."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smartinbox import config
from smartinbox.ai.judge import get_judge
from smartinbox.ai.metrics import auc
from smartinbox.cli import app as cli
from smartinbox.evaluation.judge_agreement import parse_rating
from tests.conftest import Actor, Env
from tests.fakes.openai_server import FakeOpenAIServer, Reply, default_responder
from tests.feedback.helpers import ingest, rate

runner = CliRunner()


def pairwise_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """By hand: the share of (useful, not useful) pairs ranked right, a tie counting half."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def test_auc_by_ranks_handles_ties() -> None:
    # 4 pairs: 0.9>0.8, 0.9>0.3, 0.8=0.8 (half), 0.8>0.3 -> 3.5 / 4
    assert auc([0.9, 0.8, 0.8, 0.3], [True, True, False, False]) == 0.875
    assert auc([0.5, 0.5, 0.5], [True, False, True]) == 0.5
    assert auc([0.1, 0.2, 0.9], [True, True, False]) == 0.0
    assert auc([0.1, 0.2], [True, True]) is None
    scores = [0.3, 0.7, 0.7, 0.1, 0.9, 0.7, 0.4]
    labels = [False, True, False, False, True, True, True]
    assert auc(scores, labels) == pytest.approx(pairwise_auc(scores, labels))


def test_ratings_parse_as_thumbs_or_stars() -> None:
    assert parse_rating("Yes") == (True, None) and parse_rating("down") == (False, None)
    assert parse_rating("4") == (None, 4)
    with pytest.raises(ValueError):
        parse_rating("7")


ROWS = [  # message, reply, rating
    ("Where is my refund for order 4411?",
     "Your refund for order 4411 was issued today and reaches your card within five days.", "yes"),
    ("How do I change my delivery address?",
     "Open Orders, pick the order and choose Change address before it ships.", "5"),
    ("Can I pay by PayPal?",
     "Yes, PayPal is available at checkout under Payment methods.", "yes"),
    ("Where is my refund for order 4411?", "Ok", "no"),
    ("How do I change my delivery address?",
     "Your order 99812377 ships tomorrow and the invoice INV-5521 is attached", "1"),
    ("Can I pay by PayPal?", "Thanks for writing.", "3"),
]  # fmt: skip


def _write(path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _run(*args: str) -> dict[str, Any]:
    result = runner.invoke(cli, ["eval", "judge", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_csv_agreement_with_the_local_judge(sqlite_env: Env, tmp_path: Path) -> None:
    data = _write(tmp_path / "rated.csv", ROWS, ("message", "reply", "rating"))
    out = _run("--data", str(data))
    judge = get_judge()
    scores = [judge.evaluate(m, r).score for m, r, _ in ROWS]
    assert out["judge"]["provider"] == "local" and out["ratings"] == 6
    thumbs = [
        (s, row[2] == "yes") for s, row in zip(scores, ROWS, strict=True) if row[2] in ("yes", "no")
    ]
    assert out["thumbs"] == {
        "auc": round(pairwise_auc([s for s, _ in thumbs], [y for _, y in thumbs]), 4),
        "useful": 2,
        "not_useful": 1,
    }
    # Stars: 5 (useful) against 1 (not useful); 3 stars is neutral.
    assert out["stars"]["useful"] == 1 and out["stars"]["not_useful"] == 1
    assert out["stars"]["neutral"] == 1
    assert out["stars"]["auc"] == (
        1.0 if scores[1] > scores[4] else 0.5 if scores[1] == scores[4] else 0.0
    )
    # Clearly good replies against an "Ok" and a reply inventing order numbers.
    assert out["thumbs"]["auc"] == 1.0 and out["stars"]["auc"] == 1.0
    assert set(out["by_rating"]) == {"useful", "not useful", "5 stars", "1 stars", "3 stars"}
    assert out["by_rating"]["useful"]["n"] == 2
    assert out["by_rating"]["not useful"]["mean"] == round(scores[3], 4)

    bad = _write(
        tmp_path / "bad.csv", [("hi", "hello there", "maybe")], ("message", "reply", "rating")
    )
    result = runner.invoke(cli, ["eval", "judge", "--data", str(bad), "--json"])
    assert result.exit_code == 2 and "line 2" in result.output


def test_database_ratings(env: Env, client: TestClient, agent: Actor) -> None:
    ratings: list[dict[str, Any]] = [
        {"useful": True, "score": 5},
        {"useful": True},
        {"useful": False, "score": 1},
        {"useful": False, "score": 3},
    ]
    for i, body in enumerate(ratings):
        m = ingest(client, agent, f"judge-{i}", ROWS[i % 3][0])
        rate(client, agent, m["id"], **body)
    out = _run()
    assert out["source"] == "database" and out["ratings"] == 4
    assert (out["thumbs"]["useful"], out["thumbs"]["not_useful"]) == (2, 2)
    assert (out["stars"]["useful"], out["stars"]["not_useful"], out["stars"]["neutral"]) == (
        1,
        1,
        1,
    )
    assert out["by_rating"]["useful"]["n"] == 2 and out["by_rating"]["3 stars"]["n"] == 1
    assert 0.0 <= out["thumbs"]["auc"] <= 1.0


RUBRICS = {"GOOD": 0.9, "FAIR": 0.5, "POOR": 0.2}


def _rubric(request: dict[str, Any]) -> Reply:
    fmt = request.get("response_format") or {}
    if (fmt.get("json_schema") or {}).get("name") != "judgement":
        return default_responder(request)
    user = request["messages"][1]["content"]
    reply = user.split("<ai_reply>")[1].split("</ai_reply>")[0]
    value = next(v for k, v in RUBRICS.items() if k in reply)
    keys = ("relevance", "accuracy", "completeness", "tone")
    return Reply(json.dumps({**dict.fromkeys(keys, value), "comments": []}))


def test_openai_judge_agreement_is_computable_by_hand(
    sqlite_env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = FakeOpenAIServer(_rubric).start()
    try:
        for name, value in {"AI_PROVIDER": "openai", "OPENAI_BASE_URL": server.base_url,
                            "OPENAI_API_KEY": "sk-x", "OPENAI_CHAT_MODEL": "fake-judge"}.items():  # fmt: skip
            monkeypatch.setenv(f"SMARTINBOX_{name}", value)
        config.get_settings.cache_clear()
        rows = [("q1", "GOOD answer", "yes"), ("q2", "GOOD answer too", "yes"),
                ("q3", "FAIR answer", "yes"), ("q4", "FAIR reply", "no"),
                ("q5", "POOR reply", "no")]  # fmt: skip
        out = _run("--data", str(_write(tmp_path / "r.csv", rows, ("message", "reply", "rating"))))
    finally:
        server.stop()
    # Scores 0.9, 0.9, 0.5 (useful) vs 0.5, 0.2: 6 pairs, 5 won and 1 tied -> 5.5 / 6.
    assert out["thumbs"]["auc"] == round(5.5 / 6, 4)
    assert out["judge"] == {"provider": "openai", "model": "fake-judge",
                            "prompt_version": out["judge"]["prompt_version"]}  # fmt: skip
    assert out["by_rating"]["useful"]["mean"] == round((0.9 + 0.9 + 0.5) / 3, 4)
    assert out["by_rating"]["not useful"]["min"] == 0.2
