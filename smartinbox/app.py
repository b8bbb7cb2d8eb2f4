"""create_app(): settings, routers, templates, middleware and the embedded worker."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from smartinbox import errors, health
from smartinbox.analytics.endpoints import router as analytics_router
from smartinbox.analytics.views import router as analytics_views
from smartinbox.auth.endpoints import router as user_sessions_router
from smartinbox.auth.user_endpoints import router as users_router
from smartinbox.auth.user_views import router as users_views
from smartinbox.channels.endpoints import router as channels_router
from smartinbox.config import Settings, get_settings
from smartinbox.conversations.endpoints import router as conversations_router
from smartinbox.conversations.live import router as conversations_live
from smartinbox.conversations.views import router as conversations_views
from smartinbox.csat.views import router as csat_views
from smartinbox.deps import UNSAFE_METHODS
from smartinbox.evaluation.endpoints import harness_router
from smartinbox.evaluation.endpoints import router as evaluation_router
from smartinbox.feedback.endpoints import router as feedback_router
from smartinbox.feedback.views import router as feedback_views
from smartinbox.inbox.endpoints import router as inbox_router
from smartinbox.kit.errors import Unavailable
from smartinbox.kit.files import private_umask
from smartinbox.limits import LoginThrottle, WriteGate
from smartinbox.logging_setup import setup_logging
from smartinbox.macros.endpoints import router as macros_router
from smartinbox.macros.views import router as macros_views
from smartinbox.memory.endpoints import router as memory_router
from smartinbox.memory.views import router as memory_views
from smartinbox.versions.endpoints import router as versions_router
from smartinbox.versions.views import router as versions_views
from smartinbox.web import filters as web_filters
from smartinbox.web.apidocs import router as apidocs_router
from smartinbox.web.views import router as web_router
from smartinbox.worker import EmbeddedWorker, configure_queue

log = logging.getLogger("smartinbox.http")
WEB_DIR = Path(__file__).parent / "web"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def create_app(settings: Settings | None = None, *, embedded_worker: bool = False) -> FastAPI:
    settings = settings or get_settings()
    setup_logging(settings.log_level, settings.log_json)
    private_umask()  # every file the server and its embedded worker create is 0600 / 0700

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_queue(settings)
        worker: EmbeddedWorker | None = None
        if settings.train_on_start:
            from smartinbox.ai.training import ensure_models

            ensure_models(settings.resolved_models_dir())
        if embedded_worker:
            worker = EmbeddedWorker(settings)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()

    app = FastAPI(
        title="SmartInbox",
        version="0.1.0",
        description="AI-augmented customer-support inbox: ingest, triage, suggestions, feedback.",
        lifespan=lifespan,
        # /docs is served from local assets by web.apidocs (the built-in page loads a CDN).
        docs_url=None,
        redoc_url=None,
        # Enforced while the body streams in, so chunked uploads are cut off too.
        max_body_size=settings.max_request_bytes,
    )
    app.state.settings = settings
    app.state.templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    web_filters.install(app.state.templates.env)
    errors.install(app)

    write_gate = (
        WriteGate(settings.sqlite_write_requests, settings.sqlite_write_wait_s)
        if settings.is_sqlite
        else None
    )

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        try:
            if write_gate is not None and request.method in UNSAFE_METHODS:
                async with write_gate.admit() as admitted:
                    if admitted:
                        response = await call_next(request)
                    else:
                        busy = Unavailable("the database is busy; retry shortly", retry_after=2)
                        response = await errors.domain_error(request, busy)
            else:
                response = await call_next(request)
        except Exception:
            # A bug: answered here, not by the server's bare 500, so it carries the same
            # security headers as every other response (and the request id to find the log).
            log.exception(
                "unhandled error", extra={"path": request.url.path, "request_id": request_id}
            )
            response = errors.internal_error(request, request_id)
        response.headers["X-Request-ID"] = request_id
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
            },
        )
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="smartinbox_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.resolved_cookie_secure(),
    )
    app.state.login_throttle = LoginThrottle(settings.login_max_attempts, settings.login_window_s)
    app.include_router(health.router)
    app.include_router(user_sessions_router)
    app.include_router(inbox_router)
    app.include_router(channels_router)
    app.include_router(conversations_router)
    app.include_router(conversations_live)  # before /conversations/{id}
    app.include_router(conversations_views)
    app.include_router(macros_router)
    app.include_router(macros_views)
    app.include_router(csat_views)
    app.include_router(users_router)
    app.include_router(users_views)
    app.include_router(feedback_router)
    app.include_router(feedback_views)
    app.include_router(analytics_router)
    app.include_router(analytics_views)
    app.include_router(versions_router)
    app.include_router(versions_views)
    app.include_router(evaluation_router)
    app.include_router(harness_router)
    app.include_router(memory_router)
    app.include_router(memory_views)
    app.include_router(web_router)
    app.include_router(apidocs_router)
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    return app
