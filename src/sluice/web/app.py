"""The web UI: server-rendered pages (Jinja2 + htmx), each with a JSON twin."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from sluice import areas
from sluice.errors import SluiceError
from sluice.web.session import LoginRequired, login_url
from sluice.web.templating import HERE, add_template_package, templates


def web_routers() -> list[APIRouter]:
    """The page routers of every area, in area order."""
    from sluice.api.app import area_routers

    return area_routers("web")


def mount_web(app: FastAPI, routers: list[APIRouter]) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.render_error_page = render_error_page
    app.state.nav = sorted((n for a in areas.areas() for n in a.nav), key=lambda n: n.order)
    for area in areas.areas():
        if area.templates:
            add_template_package(area.templates)
    for router in routers:
        app.include_router(router)

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
