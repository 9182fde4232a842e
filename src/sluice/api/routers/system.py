"""Health, identity and the hardware models run on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from sluice import __version__
from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.access import MEMBER, PUBLIC, SIGNED_IN
from sluice.core.context import identity
from sluice.inference.hardware import HardwareReport, describe_hardware

router = APIRouter(tags=["system"])


@router.get("/healthz", include_in_schema=False, openapi_extra=policy(permission=PUBLIC))
def healthz() -> dict[str, str]:
    """Liveness for load balancers: no data, no token."""
    return {"status": "ok"}


@router.get("/api/v1/whoami", openapi_extra=policy(permission=MEMBER))
def whoami(ctx: CtxDep) -> dict[str, Any]:
    """The user of this token, the project asked for (``X-Sluice-Project``, else the
    token's, else ``default``), their role there and what it permits."""
    return identity(ctx) | {"mode": "remote", "version": __version__}


@router.get("/api/v1/system/hardware", openapi_extra=policy(permission=SIGNED_IN))
async def hardware(ctx: CtxDep, platform: PlatformDep) -> HardwareReport:
    """The server's CPU (model, cores, vector features, memory), the GPUs torch sees, the
    device ``SLUICE_DEVICE`` resolves to, and each loaded model's device and precision."""
    return await run_in_threadpool(describe_hardware, platform.settings)
