"""Logging in to the web UI with an API token; the session lives in a cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from sluice.api.deps import PlatformDep, client_address
from sluice.api.policy import policy
from sluice.core.access import PUBLIC
from sluice.errors import RateLimited, Unauthorized
from sluice.web.links import safe_redirect
from sluice.web.session import COOKIE, check_same_origin
from sluice.web.templating import HERE, templates

router = APIRouter(include_in_schema=False)
FORM_BYTES = 16 * 1024  # a token and a path: anything bigger is refused before it is read


@router.get("/favicon.ico", response_class=FileResponse,
            openapi_extra=policy(permission=PUBLIC))
def favicon() -> FileResponse:
    """The icon browsers ask for on their own (an SVG; no data, no login)."""
    return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/login", response_class=HTMLResponse, openapi_extra=policy(permission=PUBLIC))
def login_form(request: Request, next: str = "/datasets") -> HTMLResponse:
    return templates.TemplateResponse(request, "login.html",
                                      {"page": {"title": "Log in", "next": _safe(next)}})


@router.post("/login", response_model=None,
             openapi_extra=policy(permission=PUBLIC, body=FORM_BYTES))
def login(request: Request, platform: PlatformDep, token: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/datasets") -> HTMLResponse | RedirectResponse:
    check_same_origin(request)
    try:
        session = platform.auth.login(token.strip(), client=client_address(request))
    except (Unauthorized, RateLimited) as exc:
        page = {"title": "Log in", "next": _safe(next), "error": exc.message}
        return templates.TemplateResponse(request, "login.html", {"page": page},
                                          status_code=exc.http_status)
    response = RedirectResponse(_safe(next), status_code=303)
    max_age = int(platform.settings.session_hours * 3600)
    response.set_cookie(COOKIE, session, max_age=max_age, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout", openapi_extra=policy(permission=PUBLIC, body=FORM_BYTES))
def logout(request: Request, platform: PlatformDep) -> RedirectResponse:
    check_same_origin(request)
    secret = request.cookies.get(COOKIE)
    if secret:
        platform.auth.logout(secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _safe(target: str) -> str:
    """Only local paths, so a login link cannot bounce people to another site."""
    return safe_redirect(target)
