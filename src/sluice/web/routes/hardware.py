"""The hardware page: the CPU, memory and GPUs the server's models run on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sluice.api.deps import PlatformDep
from sluice.core.access import SIGNED_IN
from sluice.inference.hardware import describe_hardware
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/hardware", "hardware.html", permission=SIGNED_IN)
def hardware_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    report = describe_hardware(platform.settings)
    return {"title": "Hardware", **report.model_dump()}
