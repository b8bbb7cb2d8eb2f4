"""The `smartinbox` command line: users, tokens, seed, config."""

from __future__ import annotations

import json
from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.inbox.seed_data import SEED_MESSAGES
from smartinbox.models import Analysis, Message
from tests.conftest import Env, drain

runner = CliRunner()


def test_users_and_tokens(sqlite_env: Env, client: TestClient) -> None:
    r = runner.invoke(
        cli, ["users", "create", "Lead@Example.com", "--role", "admin", "--password", "s3cret-pass"]
    )
    assert r.exit_code == 0, r.output
    dup = runner.invoke(cli, ["users", "create", "lead@example.com", "--password", "s3cret-pass"])
    assert dup.exit_code == 1 and "already exists" in dup.output
    bad = runner.invoke(
        cli, ["users", "create", "x@example.com", "--role", "boss", "--password", "s3cret-pass"]
    )
    assert bad.exit_code == 1 and "role" in bad.output
    prompted = runner.invoke(
        cli, ["users", "create", "agent@example.com"], input="longpassword\nlongpassword\n"
    )
    assert prompted.exit_code == 0, prompted.output

    r = runner.invoke(cli, ["tokens", "create", "lead@example.com"])
    assert r.exit_code == 0
    token = r.output.split()[-1]
    assert (
        client.get("/api/messages", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    r = runner.invoke(cli, ["tokens", "revoke", token[:10]])
    assert r.exit_code == 0
    assert (
        client.get("/api/messages", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )


def test_seed_covers_every_kind_and_is_idempotent(env: Env) -> None:
    assert Counter(k for k, *_ in SEED_MESSAGES).keys() == {
        "complaint",
        "question",
        "urgent",
        "casual",
        "spam",
    }
    assert all(5 <= n <= 10 for n in Counter(k for k, *_ in SEED_MESSAGES).values())
    assert runner.invoke(cli, ["seed"]).exit_code == 0
    assert runner.invoke(cli, ["seed"]).exit_code == 0
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == len(SEED_MESSAGES)
    drain()
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Analysis)) == len(SEED_MESSAGES)
    assert runner.invoke(cli, ["seed", "--count", "40"]).exit_code == 0
    assert runner.invoke(cli, ["seed", "--count", "40"]).exit_code == 0
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == len(SEED_MESSAGES) + 40


def test_seeded_kinds_are_mostly_recognised(sqlite_env: Env) -> None:
    runner.invoke(cli, ["seed"])
    drain()
    with sqlite_env.session() as s:
        rows = s.execute(select(Message.external_id, Analysis.kind).join(Analysis)).all()
    predicted = {ext: kind for ext, kind in rows}
    expected = {f"seed-{i:04d}": kind for i, (kind, *_rest) in enumerate(SEED_MESSAGES)}
    right = sum(predicted[e] == k for e, k in expected.items())
    assert right / len(expected) >= 0.8, {
        e: (k, predicted[e]) for e, k in expected.items() if predicted[e] != k
    }


def test_config_lists_every_setting(sqlite_env: Env) -> None:
    r = runner.invoke(cli, ["config", "--json"])
    rows = json.loads(r.output)
    assert any(row["env"] == "SMARTINBOX_DATABASE_URL" for row in rows)
    secret = next(row for row in rows if row["env"] == "SMARTINBOX_SECRET_KEY")
    assert secret["value"] == "***"
