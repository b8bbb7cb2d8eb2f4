"""/docs: the API reference rendered by Swagger UI from assets served by the app itself.

Swagger UI comes from the npm registry (`swagger-ui-dist`, pinned in package.json and copied
into static/vendor by `make assets`), so the page needs nothing from a CDN and its scripts
are allowed by the app's Content-Security-Policy (`script-src 'self'`, no inline script).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "apidocs.html", {"openapi_url": request.app.openapi_url}
    )
    return response
