"""The two error handlers: JSON for /api, a page or htmx fragment for the UI."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartinbox.kit.errors import DomainError, Unauthorized, Unavailable

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


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(OperationalError, database_unavailable)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DBAPIError, _dbapi_error)


async def _dbapi_error(request: Request, exc: Exception) -> Response:
    # Connection-level failures (server gone, pool exhausted) are transient; others are bugs.
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return await database_unavailable(request, exc)
    raise exc
