"""The areas page: what this server runs, and what failed to load."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sluice.areas.info import report
from sluice.core.access import SIGNED_IN
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/areas", "areas.html", permission=SIGNED_IN)
def areas_page(request: Request, ctx: WebCtx) -> dict[str, Any]:
    found = report()
    return {"title": "Areas", "areas": found.areas, "problems": found.problems}
