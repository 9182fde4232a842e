"""Who is using the web UI: a session cookie for people, a bearer token for JSON twins."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from sluice.api.deps import bearer, client_address, get_platform
from sluice.core.auth.service import ANY_KIND
from sluice.core.context import Ctx
from sluice.core.projects.service import DEFAULT_PROJECT
from sluice.errors import Forbidden, Unauthorized
from sluice.platform import Platform

COOKIE = "sluice_session"


class LoginRequired(Exception):
    """Raised for a page without a valid session; HTML gets a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def web_ctx(
    request: Request, platform: Annotated[Platform, Depends(get_platform)],
    token: Annotated[str | None, Depends(bearer)],
) -> Ctx:
    secret = request.cookies.get(COOKIE) or token
    try:
        principal = platform.auth.authenticate(secret, client=client_address(request),
                                               kinds=ANY_KIND)
    except Unauthorized:
        if request.url.path.endswith(".json"):
            raise
        raise LoginRequired(str(request.url.path) + _query(request)) from None
    if request.method == "POST":
        check_same_origin(request)
    return platform.context(principal, request.query_params.get("project", DEFAULT_PROJECT))


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
