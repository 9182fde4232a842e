"""The areas this server runs (built-in and plugins) and the parts that failed to load."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from sluice.api.deps import CtxDep
from sluice.api.policy import policy
from sluice.areas.info import AreaInfo, AreasReport, describe_named, report
from sluice.core.access import SIGNED_IN

router = APIRouter(prefix="/api/v1/areas", tags=["system"])


@router.get("", openapi_extra=policy(permission=SIGNED_IN))
async def list_areas(ctx: CtxDep) -> AreasReport:
    """Every area with its routes, pages, commands and job kinds; failed parts and why."""
    return await run_in_threadpool(report)


@router.get("/{name}", openapi_extra=policy(permission=SIGNED_IN))
async def get_area(name: str, ctx: CtxDep) -> AreaInfo:
    """One area (404 ``unknown_area``)."""
    return await run_in_threadpool(describe_named, name)
