"""Pages: versions (with launch, freeze, copy, rollback), prompt comparison, stress-test report."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from smartinbox.db import session_scope
from smartinbox.deps import AdminUser, CurrentUser, SessionDep, SettingsDep
from smartinbox.evaluation import repository as eval_repo
from smartinbox.evaluation.report import report
from smartinbox.kit.errors import DomainError
from smartinbox.kit.ids import RowId
from smartinbox.versions import compare, service, stats
from smartinbox.versions import repository as repo
from smartinbox.versions.endpoints import GateAdmin
from smartinbox.web.views import render

router = APIRouter(include_in_schema=False)
TABS = {"original": "Original prompt", "retrained": "Retrained prompt", "changes": "Changes"}
Tag = Annotated[str, Query(max_length=32)]


def _back(notice: str) -> RedirectResponse:
    return RedirectResponse("/versions?" + urlencode({"notice": notice}), status_code=303)


@router.get("/versions", response_class=HTMLResponse)
def versions_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    notice: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    versions = list(repo.all_versions(session))
    context = {"versions": versions, "runs": eval_repo.runs(session, 20), "notice": notice,
               "tags": {v.id: v.version_tag for v in versions}}  # fmt: skip
    return render(request, "versions/list.html", context, user=user)


@router.post("/versions/{tag}/freeze")
def freeze(tag: str, session: SessionDep, _user: AdminUser) -> RedirectResponse:
    service.freeze(session, tag)
    return _back(f"{tag} is frozen.")


@router.post("/versions/{tag}/copy")
def copy(tag: str, session: SessionDep, _user: AdminUser) -> RedirectResponse:
    return _back(f"{service.copy(session, tag).version_tag} created from {tag}.")


@router.post("/versions/rollback")
def rollback(session: SessionDep, _user: AdminUser) -> RedirectResponse:
    old, new = service.rollback(session)
    return _back(f"Rolled back from {old.version_tag} to {new.version_tag}.")


@router.post("/versions/{tag}/promote")
def promote(tag: str, settings: SettingsDep, _user: GateAdmin) -> RedirectResponse:
    from smartinbox.evaluation.gate import promote_if_better

    try:
        result = promote_if_better(settings, tag)
    except DomainError as exc:
        return _back(exc.message)
    if result.promoted:
        return _back(f"{tag} passed the promotion gate and is live.")
    return _back(f"{tag} stays a candidate: " + "; ".join(result.reasons))


@router.post("/versions/{tag}/edit")
def edit(
    tag: str,
    session: SessionDep,
    _user: AdminUser,
    system_prompt: Annotated[str, Form(max_length=20000)],
) -> RedirectResponse:
    service.edit(session, tag, {"system_prompt": system_prompt})
    return _back(f"{tag}: system prompt saved.")


@router.get("/versions/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    old: Tag = "",
    new: Tag = "",
    tab: Annotated[str, Query(max_length=16)] = "changes",
) -> HTMLResponse:
    versions = list(repo.all_versions(session))
    tags = [v.version_tag for v in versions]
    if not old or not new:
        live = repo.live(session)
        new = new or (tags[-1] if tags else "")
        old = old or (
            live.version_tag if live and live.version_tag != new else tags[0] if tags else ""
        )
    result = compare.compare(session, old, new) if old and new else None
    figures = stats.compare(session, old, new) if result else None
    context = {"tags": tags, "old": old, "new": new, "tab": tab if tab in TABS else "changes",
               "tabs": TABS, "result": result, "stats": figures,
               "query": urlencode({"old": old, "new": new})}  # fmt: skip
    return render(request, "versions/compare.html", context, user=user)


@router.get("/stress-tests/{run_id}", response_class=HTMLResponse)
def stress_report(
    request: Request, run_id: RowId, settings: SettingsDep, user: CurrentUser
) -> HTMLResponse:
    with session_scope(settings, write=False) as session:
        data = report(session, run_id)
    return render(
        request, "versions/stress_report.html", {"r": data, "s": data["summary"]}, user=user
    )
