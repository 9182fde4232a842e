"""The web UI: server-rendered pages (Jinja2 + htmx), each with a JSON twin."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from sluice.errors import SluiceError
from sluice.platform import Platform
from sluice.web.routes import (
    admin,
    apidocs,
    auth,
    datasets,
    jobs,
    labels,
    models,
    rag,
    search,
    sql,
    tracking,
    upload,
)
from sluice.web.session import LoginRequired, login_url
from sluice.web.templating import HERE, templates

ROUTES = (auth, datasets, upload, search, rag, sql, labels, tracking, models, jobs, admin,
          apidocs)


def mount_web(app: FastAPI, platform: Platform) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.render_error_page = render_error_page
    for module in ROUTES:
        app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_url), status_code=303)


def render_error_page(request: Request, exc: SluiceError) -> Response | None:
    """HTML pages (not /api, not .json twins) show errors as a page."""
    path = request.url.path
    if path.startswith(("/api/", "/v1/", "/openapi", "/static/", "/ask/stream")) \
            or path.endswith(".json"):
        return None
    page = {"title": "Error", "error": exc.to_payload()["error"], "status": exc.http_status}
    return templates.TemplateResponse(request, "error.html", {"page": page},
                                      status_code=exc.http_status)
