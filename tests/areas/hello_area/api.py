"""The hello area's REST routes."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.jobs.models import JobInfo
from tests.areas.hello_area.core import Greeting

router = APIRouter(prefix="/api/v1/hello", tags=["hello"])


class Names(BaseModel):
    names: list[str]


@router.post("/{name}")
def greet(name: str, ctx: CtxDep, platform: PlatformDep) -> Greeting:
    """Greet someone."""
    return platform.service("hello").greet(ctx, name)


@router.post("", status_code=202)
def greet_many(body: Names, ctx: CtxDep, platform: PlatformDep) -> JobInfo:
    """Start a job greeting each name."""
    return platform.service("hello").greet_many(ctx, body.names)
