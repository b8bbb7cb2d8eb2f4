"""JSON API of stress tests (starting one queues the `evaluation.stress_test` job) and of
stored harness runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from smartinbox.deps import AdminUser, CurrentUser, SessionDep, SettingsDep
from smartinbox.evaluation import harness, stress
from smartinbox.evaluation import repository as repo
from smartinbox.evaluation.report import report
from smartinbox.kit.ids import RowId
from smartinbox.worker import enqueue

router = APIRouter(prefix="/api/stress-tests", tags=["evaluation"])


class StressTestIn(BaseModel):
    candidate: str | None = Field(None, max_length=32)
    since_days: int | None = Field(None, ge=1, le=3650)
    limit: int | None = Field(None, ge=1, le=100_000)
    queries: list[str] | None = Field(
        None, max_length=100_000, description="Queries to replay instead of rated interactions."
    )
    allow_overlap: bool = Field(
        False,
        description="Run even on queries from the candidate's training data; the run is "
        "marked and the promotion gate refuses it.",
    )


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def start(
    body: StressTestIn, session: SessionDep, settings: SettingsDep, _user: AdminUser
) -> dict[str, Any]:
    from smartinbox.evaluation.tasks import stress_test

    live, cand = stress.resolve_versions(session, body.candidate)
    cap = body.limit or settings.stress_test_limit
    if body.queries:
        items = stress.from_queries(body.queries[:cap])
        params: dict[str, Any] = {"source": "api", "limit": cap}
    else:
        since = body.since_days or settings.stress_test_since_days
        items = stress.from_replays(session, since, cap)
        params = {"source": "replay", "since_days": since, "limit": cap}
    run = stress.start(session, items, live, cand, params, allow_overlap=body.allow_overlap)
    enqueue(session, stress_test, run.id)
    return {"run_id": run.id, "status": run.status, "planned": len(items),
            "live": live.version_tag, "candidate": cand.version_tag}  # fmt: skip


@router.get("")
def list_runs(
    session: SessionDep, _user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[dict[str, Any]]:
    return [
        {"run_id": r.id, "status": r.status, "created_at": r.created_at.isoformat(),
         "live": r.params.get("live"), "candidate": r.params.get("candidate"),
         "summary": {k: r.summary.get(k) for k in ("rows", "wins", "ties", "losses", "mean_diff")}}
        for r in repo.runs(session, limit)
    ]  # fmt: skip


@router.get("/{run_id}")
def get_run(run_id: RowId, session: SessionDep, _user: CurrentUser) -> dict[str, Any]:
    return report(session, run_id)


harness_router = APIRouter(prefix="/api/harness-runs", tags=["evaluation"])


@harness_router.get("")
def list_harness_runs(
    session: SessionDep, _user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[dict[str, Any]]:
    """Stored runs of the simulated-failure harness (`smartinbox harness`), newest first."""
    return harness.list_runs(session, limit)


@harness_router.get("/{run_id}")
def get_harness_run(run_id: RowId, session: SessionDep, _user: CurrentUser) -> dict[str, Any]:
    """One harness run: its report and every case with its improvement."""
    return harness.show(session, run_id)
