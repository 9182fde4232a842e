"""Who is using the web UI: a session cookie for people, a bearer token for JSON twins."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from sluice.api.deps import (
    admit_request,
    bearer,
    bearer_of,
    client_address,
    get_platform,
    platform_of,
)
from sluice.api.middleware import CTX, PRINCIPAL
from sluice.core.auth import ANY_KIND
from sluice.core.context import Ctx, Principal
from sluice.errors import Forbidden, SluiceError, Unauthorized
from sluice.platform import Platform

COOKIE = "sluice_session"
PROJECT_COOKIE = "sluice_project"


class LoginRequired(Exception):
    """Raised for a page without a valid session; HTML gets a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def web_ctx(
    request: Request, platform: Annotated[Platform, Depends(get_platform)],
    token: Annotated[str | None, Depends(bearer)],
) -> Ctx:
    """The session cookie (or a bearer token) behind a page; form posts were checked
    before their body was read (``sluice.api.middleware.Authenticate``)."""
    admitted: Ctx | None = request.scope.get(CTX)
    if admitted is not None:
        if request.method == "POST":
            check_same_origin(request)
        return admitted
    principal = request.scope.get(PRINCIPAL)
    if principal is None:
        try:
            principal = authenticate_web(request)
        except Unauthorized as exc:
            if refused_page(request, exc) is None:
                raise
            raise LoginRequired(str(request.url.path) + _query(request)) from None
    if request.method == "POST":
        check_same_origin(request)
    return admit_request(platform, request, principal, web_project(request))


def web_project(request: Request) -> str | None:
    """The project a page works in: ``?project=``, else the one last chosen on the
    projects page (a cookie), else the token's or ``default``."""
    return request.query_params.get("project") or request.cookies.get(PROJECT_COOKIE) or None


def authenticate_web(request: Request) -> Principal:
    """The principal behind the session cookie, or a bearer token (JSON twins)."""
    secret = request.cookies.get(COOKIE) or bearer_of(request.headers.get("authorization"))
    return platform_of(request).auth.authenticate(secret, client=client_address(request),
                                                   kinds=ANY_KIND)


def refused_page(request: Request, exc: SluiceError) -> Response | None:
    """A page's answer to a failed login: the login page (JSON twins: None, the error)."""
    if not isinstance(exc, Unauthorized) or request.url.path.endswith(".json"):
        return None
    return RedirectResponse(login_url(str(request.url.path) + _query(request)),
                            status_code=303)


def check_same_origin(request: Request) -> None:
    """Refuse form posts that come from another site (CSRF), by Origin or Referer."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return  # non-browser clients send neither; they still need the cookie or token
    if urlsplit(source).netloc != request.headers.get("host"):
        raise Forbidden("cross-site form posts are refused", code="cross_site_request")


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="")


def _query(request: Request) -> str:
    return f"?{request.url.query}" if request.url.query else ""


WebCtx = Annotated[Ctx, Depends(web_ctx)]
