"""The hello area's page and its JSON twin (``/hello`` and ``/hello.json``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sluice.api.deps import PlatformDep
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/hello", "hello.html")
def hello_page(request: Request, ctx: WebCtx, platform: PlatformDep,
               name: str = "world") -> dict[str, Any]:
    greeting = platform.service("hello").greet(ctx, name)
    return {"title": "Hello", "greeting": greeting}
