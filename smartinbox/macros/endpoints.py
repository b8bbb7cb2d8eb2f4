"""JSON API of macros: everyone lists them, admins write them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from smartinbox.deps import AdminUser, CurrentUser, SessionDep
from smartinbox.kit.ids import RowId
from smartinbox.macros import service
from smartinbox.macros.schemas import MacroIn, MacroOut, MacroPatch

router = APIRouter(prefix="/api/macros", tags=["macros"])


@router.get("", response_model=list[MacroOut])
def list_macros(session: SessionDep, _user: CurrentUser, active: bool = False) -> list[MacroOut]:
    """All macros by title; `active=true` gives only those offered in the composer."""
    return service.list_macros(session, active_only=active)


@router.post("", response_model=MacroOut, status_code=201)
def create_macro(data: MacroIn, session: SessionDep, user: AdminUser) -> MacroOut:
    return service.create(session, data, user)


@router.get("/{macro_id}", response_model=MacroOut)
def get_macro(macro_id: RowId, session: SessionDep, _user: CurrentUser) -> MacroOut:
    return MacroOut.model_validate(service.get_macro(session, macro_id))


@router.patch("/{macro_id}", response_model=MacroOut)
def patch_macro(
    macro_id: RowId, data: MacroPatch, session: SessionDep, _user: AdminUser
) -> MacroOut:
    return service.update(session, macro_id, data)


@router.delete("/{macro_id}", status_code=204)
def delete_macro(macro_id: RowId, session: SessionDep, _user: AdminUser) -> Response:
    service.delete(session, macro_id)
    return Response(status_code=204)
