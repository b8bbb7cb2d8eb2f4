"""JSON API of assistant versions: agents read, admins change. Thin: parse, call the service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from smartinbox.db import session_scope
from smartinbox.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, get_current_user
from smartinbox.kit.errors import Forbidden
from smartinbox.models import User
from smartinbox.versions import compare, service, stats
from smartinbox.versions import repository as repo
from smartinbox.versions.schemas import (
    CopyIn,
    DiffLineOut,
    DiffOut,
    GateOut,
    RollbackOut,
    SectionOut,
    VersionEdit,
    VersionOut,
)

router = APIRouter(prefix="/api/versions", tags=["versions"])


async def _admin_without_transaction(request: Request) -> User:
    """The admin check for actions that run models: no transaction may stay open meanwhile
    (on SQLite a request's write transaction would lock out the gate's own writes)."""
    with session_scope(request.app.state.settings, write=False) as session:
        user = await get_current_user(request, session)
    if not user.is_admin:
        raise Forbidden("this action needs the admin role")
    return user


GateAdmin = Annotated[User, Depends(_admin_without_transaction)]


@router.get("", response_model=list[VersionOut])
def list_versions(session: SessionDep, _user: CurrentUser) -> list[VersionOut]:
    return [VersionOut.model_validate(v) for v in repo.all_versions(session)]


@router.get("/diff", response_model=DiffOut)
def diff(old: str, new: str, session: SessionDep, _user: CurrentUser) -> DiffOut:
    result = compare.compare(session, old, new)
    sections = [
        SectionOut(key=s.key, title=s.title, changed=s.changed, unified=s.unified,
                   lines=[DiffLineOut(op=line.op, text=line.text) for line in s.lines])
        for s in result["sections"]
    ]  # fmt: skip
    return DiffOut(old=old, new=new, sections=sections, old_training=result["old_training"],
                   new_training=result["new_training"])  # fmt: skip


@router.get("/stats")
def version_stats(old: str, new: str, session: SessionDep, _user: CurrentUser) -> dict[str, Any]:
    return stats.compare(session, old, new)


@router.post("/rollback", response_model=RollbackOut)
def rollback(session: SessionDep, _user: AdminUser) -> RollbackOut:
    old, new = service.rollback(session)
    return RollbackOut(rolled_back_from=old.version_tag, live=new.version_tag)


@router.get("/{tag}", response_model=VersionOut)
def show(tag: str, session: SessionDep, _user: CurrentUser) -> VersionOut:
    return VersionOut.model_validate(service.get(session, tag))


@router.patch("/{tag}", response_model=VersionOut)
def edit(tag: str, body: VersionEdit, session: SessionDep, _user: AdminUser) -> VersionOut:
    return VersionOut.model_validate(service.edit(session, tag, body.model_dump()))


@router.post("/{tag}/copy", response_model=VersionOut, status_code=201)
def copy(tag: str, body: CopyIn, session: SessionDep, _user: AdminUser) -> VersionOut:
    return VersionOut.model_validate(service.copy(session, tag, body.description))


@router.post("/{tag}/freeze", response_model=VersionOut)
def freeze(tag: str, session: SessionDep, _user: AdminUser) -> VersionOut:
    return VersionOut.model_validate(service.freeze(session, tag))


@router.post("/{tag}/promote", response_model=GateOut)
def promote(tag: str, settings: SettingsDep, _user: GateAdmin, force: bool = False) -> GateOut:
    """Through the promotion gate (a stress test runs when there is none); `force` skips it.

    No request session here: the gate's stress test runs the models, and must hold no
    transaction meanwhile; it opens its own short ones.
    """
    from smartinbox.evaluation.gate import promote_if_better

    if force:
        with session_scope(settings) as session:
            service.promote(session, tag)
        return GateOut(candidate=tag, live=tag, promoted=True, reasons=[], run_id=None, summary={})
    return GateOut(**promote_if_better(settings, tag).to_dict())
