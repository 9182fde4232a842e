"""The ASGI application: REST API under /api/v1, the web UI, OpenAPI at /docs."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sluice import __version__
from sluice.api.compat import mlflow as mlflow_compat
from sluice.api.compat import openai as openai_compat
from sluice.api.errors import install_error_handlers
from sluice.api.routers import (
    audit,
    datasets,
    ingest,
    jobs,
    labels,
    models,
    quality,
    rag,
    search,
    sql,
    streams,
    system,
    tokens,
    tracking,
    users,
)
from sluice.platform import Platform

log = logging.getLogger("sluice.api")
ROUTERS = (system, datasets, ingest, sql, search, rag, quality, jobs, tokens, users, streams,
           audit, tracking, models, labels, openai_compat, mlflow_compat)
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

    app = FastAPI(
        title="Sluice", version=__version__, lifespan=lifespan,
        description="Self-hosted AI platform. Every /api route needs "
                    "`Authorization: Bearer <token>`.",
    )
    app.state.platform = platform
    install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    from sluice.web.app import mount_web

    mount_web(app, platform)
    return app


def _resume_queued(platform: Platform) -> None:
    for job_id in platform.jobs.queued_ids():
        platform.executor.submit(job_id)


def _reaper(platform: Platform, stop: threading.Event) -> None:
    while not stop.wait(REAP_EVERY):
        try:
            reaped = platform.jobs.reap()
            if reaped:
                log.warning("failed %d job(s) whose worker stopped responding", reaped)
        except Exception:  # keep reaping even if one round fails (database restart)
            log.exception("job reaper round failed")
