"""`smartinbox seed --with-feedback` adds realistic ratings, replies and overrides, once."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.models import AgentReply, Feedback, FeedbackReplayLog, TrainingExample
from tests.conftest import Env

runner = CliRunner()


def test_seed_with_feedback_is_realistic_and_idempotent(sqlite_env: Env) -> None:
    result = runner.invoke(cli, ["seed", "--count", "60", "--with-feedback"])
    assert result.exit_code == 0, result.output
    with sqlite_env.session() as s:
        usage = dict(
            s.execute(select(AgentReply.usage, func.count()).group_by(AgentReply.usage)).all()
        )
        ratings = dict(
            s.execute(select(Feedback.useful, func.count()).group_by(Feedback.useful)).all()
        )
        replays = s.scalar(select(func.count()).select_from(FeedbackReplayLog))
        examples = s.scalar(select(func.count()).select_from(TrainingExample))
    assert {"unchanged", "edited", "replaced"} <= set(usage)
    assert ratings[True] > 0 and ratings[False] > 0
    assert replays == sum(usage.values()) and examples and examples > 0
    again = runner.invoke(cli, ["seed", "--count", "60", "--with-feedback"])
    assert again.exit_code == 0 and "not_useful" not in again.output
    with sqlite_env.session() as s:
        assert s.scalar(select(func.count()).select_from(AgentReply)) == sum(usage.values())
