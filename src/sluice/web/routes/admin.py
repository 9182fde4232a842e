"""Tokens and stream consumers, for people who do not use a terminal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sluice.api.deps import PlatformDep
from sluice.core.context import Role
from sluice.core.jobs.models import JobState
from sluice.core.streams.service import KIND_REDIS
from sluice.web.session import WebCtx
from sluice.web.templating import templates
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/tokens", "tokens.html")
def tokens_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    return _tokens_data(ctx, platform, None)


def _tokens_data(ctx: Any, platform: Any, created: Any) -> dict[str, Any]:
    users = platform.auth.list_users(ctx) if ctx.actor.role == Role.ADMIN else []
    listed = platform.auth.list_tokens(ctx, sessions=True)
    names = {t.id: t.name for t in listed}
    sessions = [{**t.model_dump(), "opened_with": names.get(t.parent or "", "")}
                for t in listed if t.kind == "session" and not t.revoked]
    return {"title": "API tokens", "tokens": [t for t in listed if t.kind == "api"],
            "sessions": sessions, "created": created, "users": users,
            "roles": [r.value for r in Role]}


@router.post("/tokens", response_class=HTMLResponse)
def create_token(request: Request, ctx: WebCtx, platform: PlatformDep,
                 name: Annotated[str, Form()],
                 expires_days: Annotated[float | None, Form()] = None,
                 user: Annotated[str | None, Form()] = None) -> HTMLResponse:
    created = platform.auth.create_token(ctx, name, user=user or None,
                                         expires_days=expires_days or None)
    page = _tokens_data(ctx, platform, created)
    return templates.TemplateResponse(request, "tokens.html", {"page": page})


@router.post("/users")
def create_user(ctx: WebCtx, platform: PlatformDep, name: Annotated[str, Form()],
                role: Annotated[Role, Form()] = Role.VIEWER) -> RedirectResponse:
    platform.auth.create_user(ctx, name, role)
    return RedirectResponse("/tokens", status_code=303)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    platform.auth.revoke_token(ctx, token_id)
    return RedirectResponse("/tokens", status_code=303)


@twin(router, "/audit", "audit.html")
def audit_page(request: Request, ctx: WebCtx, platform: PlatformDep,
               limit: int = 200) -> dict[str, Any]:
    return {"title": "Audit log", "events": platform.audit.list(ctx, limit=limit)}


@twin(router, "/streams", "streams.html")
def streams_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    consumers = platform.jobs.list(ctx, kind=KIND_REDIS, limit=100)
    return {"title": "Streams", "consumers": consumers,
            "running": [j for j in consumers if not j.state.finished],
            "datasets": [d.name for d in platform.datasets.list(ctx)],
            "states": [s.value for s in JobState]}


@router.post("/streams/redis")
def start_redis(ctx: WebCtx, platform: PlatformDep, dataset: Annotated[str, Form()],
                stream: Annotated[str, Form()],
                url: Annotated[str, Form()] = "redis://127.0.0.1:6379/0",
                group: Annotated[str, Form()] = "sluice",
                batch_seconds: Annotated[float, Form()] = 1.0) -> RedirectResponse:
    job = platform.streams.consume_redis(ctx, dataset, url=url, stream=stream, group=group,
                                         batch_seconds=batch_seconds)
    return RedirectResponse(f"/jobs/{job.id}?back=/streams", status_code=303)
