"""The two error handlers: JSON for /api, a page or htmx fragment for the UI."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartinbox.kit.errors import DomainError, Unauthorized, Unavailable, ValidationFailed

log = logging.getLogger(__name__)


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path in ("/healthz", "/readyz", "/openapi.json"):
        return False
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _page(request: Request, status: int, title: str, message: str) -> Response:
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(
        request, "error.html", {"title": title, "message": message}, status_code=status
    )
    return response


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if wants_html(request):
        if isinstance(exc, Unauthorized):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        page = _page(request, exc.status_code, exc.code.replace("_", " ").capitalize(), exc.message)
        if headers:
            page.headers.update(headers)
        return page
    return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        field = _field(tuple(err.get("loc", ())))
        msg = str(err.get("msg", "invalid value"))
        if err.get("type") == "json_invalid":
            msg = "request body is not valid JSON"
        errors.append({"field": field, "message": f"{field}: {msg}", "type": err.get("type")})
    if wants_html(request):
        return _page(request, 422, "Invalid input", "; ".join(e["message"] for e in errors))
    return JSONResponse(
        {
            "detail": {
                "code": "validation_error",
                "message": errors[0]["message"] if errors else "invalid input",
                "errors": errors,
            }
        },
        status_code=422,
    )


def internal_error(request: Request, request_id: str) -> Response:
    message = f"internal error; quote request id {request_id} when reporting it"
    if wants_html(request):
        return _page(request, 500, "Internal error", message)
    return JSONResponse({"detail": {"code": "internal_error", "message": message}}, status_code=500)


async def database_unavailable(request: Request, exc: Exception) -> Response:
    log.warning(
        "database unavailable", extra={"error": type(exc).__name__, "path": request.url.path}
    )
    return await domain_error(
        request, Unavailable("the database is busy or unreachable; retry shortly", retry_after=2)
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if wants_html(request):
        return _page(request, exc.status_code, "Error", str(exc.detail))
    return JSONResponse(
        {"detail": {"code": "http_error", "message": str(exc.detail)}},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


class ErrorItem(BaseModel):
    field: str
    message: str
    type: str | None = None


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    field: str | None = None
    errors: list[ErrorItem] | None = None


class ErrorOut(BaseModel):
    """Every JSON error: `{"detail": {"code", "message", "field"?, "errors"?}}`."""

    detail: ErrorDetail


def _document_errors(app: FastAPI) -> None:
    """Make the schema describe the 422 body the handler really sends, not FastAPI's default."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        generated = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(generated.pop("$defs", {}))
        components["HTTPValidationError"] = generated
        components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    _document_errors(app)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(OperationalError, database_unavailable)
    # Every pooled connection busy for the pool timeout: the database is overloaded, not broken.
    app.add_exception_handler(PoolTimeout, database_unavailable)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DBAPIError, _dbapi_error)
    app.add_exception_handler(DataError, _data_error)


async def _data_error(request: Request, exc: Exception) -> Response:
    # The database refused a value the client sent (a NUL character in text, a number out of
    # range): the client's mistake, and the transaction was rolled back.
    log.info("database refused a value", extra={"error": type(exc).__name__})
    return await domain_error(
        request,
        ValidationFailed(
            "a value could not be stored: text must not contain NUL (\\u0000) characters "
            "and numbers must fit 64 bits"
        ),
    )


async def _dbapi_error(request: Request, exc: Exception) -> Response:
    # Connection-level failures (server gone, pool exhausted) are transient; others are bugs.
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return await database_unavailable(request, exc)
    raise exc
