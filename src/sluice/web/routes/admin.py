"""Tokens, users and the audit log, for people who do not use a terminal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sluice.api.deps import PlatformDep
from sluice.api.policy import policy
from sluice.core.access import SIGNED_IN, WORKSPACE_ADMIN
from sluice.core.context import Role
from sluice.web.session import WebCtx, web_project
from sluice.web.templating import templates
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)


@twin(router, "/tokens", "tokens.html", permission=SIGNED_IN)
def tokens_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    return _tokens_data(request, ctx, platform, None)


def _tokens_data(request: Request, ctx: Any, platform: Any, created: Any) -> dict[str, Any]:
    """Your tokens and sessions; for workspace admins everyone's, and the users with their
    role in the project the pages work in."""
    users = platform.auth.list_users(platform.projects.context(
        web_project(request), ctx.actor)) if ctx.actor.admin else []
    listed = platform.auth.list_tokens(ctx, sessions=True)
    names = {t.id: t.name for t in listed}
    sessions = [{**t.model_dump(), "opened_with": names.get(t.parent or "", "")}
                for t in listed if t.kind == "session" and not t.revoked]
    return {"title": "API tokens", "tokens": [t for t in listed if t.kind == "api"],
            "sessions": sessions, "created": created, "users": users,
            "roles": [r.name for r in platform.access.roles()],
            "projects": [p.name for p in platform.projects.list(ctx)]}


@router.post("/tokens", response_class=HTMLResponse, openapi_extra=policy(permission=SIGNED_IN))
def create_token(request: Request, ctx: WebCtx, platform: PlatformDep,
                 name: Annotated[str, Form()],
                 expires_days: Annotated[float | None, Form()] = None,
                 user: Annotated[str | None, Form()] = None,
                 project: Annotated[str | None, Form()] = None) -> HTMLResponse:
    created = platform.auth.create_token(ctx, name, user=user or None,
                                         expires_days=expires_days or None,
                                         project=project or None)
    page = _tokens_data(request, ctx, platform, created)
    return templates.TemplateResponse(request, "tokens.html", {"page": page})


@router.post("/users", openapi_extra=policy(permission=WORKSPACE_ADMIN))
def create_user(ctx: WebCtx, platform: PlatformDep, name: Annotated[str, Form()],
                role: Annotated[str, Form()] = Role.VIEWER) -> RedirectResponse:
    platform.auth.create_user(ctx, name, role)
    return RedirectResponse("/tokens", status_code=303)


@router.post("/tokens/{token_id}/revoke", openapi_extra=policy(permission=SIGNED_IN))
def revoke_token(token_id: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    platform.auth.revoke_token(ctx, token_id)
    return RedirectResponse("/tokens", status_code=303)


@twin(router, "/audit", "audit.html")
def audit_page(request: Request, ctx: WebCtx, platform: PlatformDep,
               limit: int = 200) -> dict[str, Any]:
    return {"title": "Audit log", "events": platform.audit.list(ctx, limit=limit)}
