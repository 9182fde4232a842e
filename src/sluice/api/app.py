"""The ASGI application: REST API under /api/v1, the web UI, OpenAPI at /openapi.json
(and as a page at /docs), both behind a login."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from sluice import __version__, areas
from sluice.api.deps import (
    PROJECT_HEADER,
    authenticate_request,
    bearer_of,
    recall_api,
    resolve_api,
)
from sluice.api.errors import install_error_handlers
from sluice.api.middleware import (
    Admit,
    Authenticate,
    BodyLimits,
    CatchAll,
    Recall,
    Resolve,
    SecurityHeaders,
)
from sluice.api.openapi import declare_callers
from sluice.api.policy import Policies, declare_defaults, route_policies
from sluice.api.routing import skip_by_path
from sluice.core.access import admit
from sluice.core.context import Ctx, Principal
from sluice.platform import Platform

log = logging.getLogger("sluice.api")
REAP_EVERY = 5.0


def create_app(platform: Platform, *, background: bool = True) -> FastAPI:
    """Build the app around a platform. ``background`` runs the job reaper and resumes
    queued jobs (a real server); tests that drive requests in-process may turn it off."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        if background:
            _resume_queued(platform)
            threading.Thread(target=_reaper, args=(platform, stop), daemon=True,
                             name="sluice-reaper").start()
        yield
        stop.set()
        if background:
            await run_in_threadpool(platform.stop)

    app = FastAPI(
        title="Sluice", version=__version__, lifespan=lifespan,
        description="Self-hosted AI platform. Every /api route needs "
                    "`Authorization: Bearer <token>`.",
        docs_url=None, redoc_url=None, openapi_url=None,  # served behind a login instead
    )
    app.state.platform = platform
    install_error_handlers(app)
    api = api_routers()
    for router in api:
        app.include_router(router)
    from sluice.web.app import mount_web, web_routers

    web = web_routers()
    mount_web(app, web)
    settings = platform.settings
    policies = Policies(lambda: route_policies(_routes([*api, *web]), settings))
    app.add_middleware(BodyLimits, limit=settings.max_body_bytes,
                       max_depth=settings.max_json_depth, policies=policies)
    from sluice.web.session import authenticate_web, refused_page

    app.add_middleware(Authenticate, api=authenticate_request, web=authenticate_web,
                       refuse=refused_page, public=frozenset({"/login", "/logout"}),
                       policies=policies, admit=_admitter(platform),
                       recall=_recaller(platform), resolve=_resolver(platform))
    app.add_middleware(CatchAll)
    app.add_middleware(SecurityHeaders)
    declare_callers(app, lambda: _routes([*api, *web]))
    skip_by_path([*api, *web])
    return app


# Compatibility APIs whose clients send one small request per value (the mlflow client
# logs each metric alone): routes are matched in order, so these go first. Their paths
# never overlap Sluice's own /api/v1 ones, so the order changes no match.
HOT_PREFIXES = ("/api/2.0/", "/ajax-api/2.0/")


def api_routers() -> list[APIRouter]:
    """The REST routers of every area, in area order, the compatibility ones first."""
    found = area_routers("api")
    return sorted(found, key=lambda r: not _hot(r))


def _hot(router: APIRouter) -> bool:
    paths = [getattr(route, "path", "") for route in router.routes]
    return bool(paths) and all(p.startswith(HOT_PREFIXES) for p in paths)


def area_routers(part: str) -> list[APIRouter]:
    """The routers of every area's ``part`` ("api" or "web"), in area order (a part that
    fails to import is reported on the areas page and left out); routes that declare no
    permission get their area's default."""
    found = []
    for area in areas.areas():
        for router in areas.parts(area, part, getattr(area, part), "router"):
            declare_defaults(router.routes, area.read, area.write)
            found.append(router)
    return found


def _admitter(platform: Platform) -> Admit:
    from sluice.web.session import web_project

    def admit_body_request(request: Request, principal: Principal, need: str | None,
                           api: bool) -> Ctx:
        project = request.headers.get(PROJECT_HEADER) if api else web_project(request)
        return admit(platform.projects, principal, project or None, need,
                     f"call {request.method} {request.url.path}")

    return admit_body_request


def _recaller(platform: Platform) -> Recall:
    def recall_body_request(request: Request, need: str | None) -> Ctx | None:
        return recall_api(platform, request, bearer_of(request.headers.get("authorization")),
                          request.headers.get(PROJECT_HEADER), need)

    return recall_body_request


def _resolver(platform: Platform) -> Resolve:
    def resolve_body_request(request: Request, need: str | None) -> Ctx:
        return resolve_api(platform, request, bearer_of(request.headers.get("authorization")),
                           request.headers.get(PROJECT_HEADER), need, None)

    return resolve_body_request


def _routes(routers: list[APIRouter]) -> Iterator[BaseRoute]:
    """Every route as its router declares it (the app holds wrapped copies)."""
    for router in routers:
        yield from router.routes


def _resume_queued(platform: Platform) -> None:
    platform.jobs.resume_queued()


def _reaper(platform: Platform, stop: threading.Event) -> None:
    """Every few seconds: fail jobs whose worker died, and deliver events subscribers have
    not had yet (those a crash interrupted, or retries after a failure)."""
    while not stop.wait(REAP_EVERY):
        try:
            reaped = platform.jobs.reap()
            if reaped:
                log.warning("failed %d job(s) whose worker stopped responding", reaped)
            platform.events.dispatch()
        except Exception:  # keep going even if one round fails (database restart)
            log.exception("background round failed")
