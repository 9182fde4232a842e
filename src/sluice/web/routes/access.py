"""Projects, members and roles, for people who do not use a terminal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from sluice.api.deps import PlatformDep
from sluice.api.policy import policy
from sluice.core.access import MEMBER, SIGNED_IN, WORKSPACE_ADMIN
from sluice.web.session import PROJECT_COOKIE, WebCtx, web_project
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)
ADMIN = "admin"
_YEAR = 365 * 24 * 3600


@twin(router, "/projects", "projects.html", permission=SIGNED_IN)
def projects_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    """Your projects (the one pages work in marked), and for admins the deleted ones."""
    deleted = platform.projects.list(ctx, deleted=True) if ctx.actor.admin else []
    return {"title": "Projects", "projects": platform.projects.list(ctx),
            "current": web_project(request) or ctx.actor.project or "default",
            "admin": ctx.actor.admin, "deleted": deleted}


@router.post("/projects/use", openapi_extra=policy(permission=SIGNED_IN))
def use_project(ctx: WebCtx, platform: PlatformDep,
                name: Annotated[str, Form()]) -> RedirectResponse:
    """Work in ``name`` from now on (a cookie); 404 unless it is one of yours."""
    platform.projects.context(name, ctx.actor)
    response = RedirectResponse("/datasets", status_code=303)
    response.set_cookie(PROJECT_COOKIE, name, max_age=_YEAR, httponly=True, samesite="strict")
    return response


@router.post("/projects", openapi_extra=policy(permission=WORKSPACE_ADMIN))
def create_project(ctx: WebCtx, platform: PlatformDep, name: Annotated[str, Form()],
                   description: Annotated[str, Form()] = "") -> RedirectResponse:
    platform.projects.create(ctx, name, description)
    return RedirectResponse("/projects", status_code=303)


@router.post("/projects/{name}/delete", openapi_extra=policy(permission=WORKSPACE_ADMIN))
def delete_project(name: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    platform.projects.delete(ctx, name)
    response = RedirectResponse("/projects", status_code=303)
    response.delete_cookie(PROJECT_COOKIE)
    return response


@router.post("/projects/{name}/restore", openapi_extra=policy(permission=WORKSPACE_ADMIN))
def restore_project(name: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    platform.projects.restore(ctx, name)
    return RedirectResponse("/projects", status_code=303)


@twin(router, "/members", "members.html", permission=MEMBER)
def members_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    """Who holds which role in the current project."""
    return {"title": f"Members of {ctx.project}", "project": ctx.project,
            "members": platform.access.members(ctx), "can_manage": ctx.can(ADMIN),
            "roles": [r.name for r in platform.access.roles()], "your_role": ctx.role}


@router.post("/members", openapi_extra=policy(permission=ADMIN))
def set_member(ctx: WebCtx, platform: PlatformDep, user: Annotated[str, Form()],
               role: Annotated[str, Form()]) -> RedirectResponse:
    platform.access.set_member(ctx, user, role)
    return RedirectResponse("/members", status_code=303)


@router.post("/members/{user}/remove", openapi_extra=policy(permission=ADMIN))
def remove_member(user: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    platform.access.remove_member(ctx, user)
    return RedirectResponse("/members", status_code=303)


@twin(router, "/roles", "roles.html", permission=SIGNED_IN)
def roles_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    """Every role against every permission, and (admins) a form for custom roles."""
    roles = platform.access.roles()
    return {"title": "Roles", "roles": roles, "permissions": platform.access.permissions(),
            "grants": {r.name: r.permissions for r in roles}, "admin": ctx.actor.admin}


@router.post("/roles", openapi_extra=policy(permission=WORKSPACE_ADMIN))
def create_role(ctx: WebCtx, platform: PlatformDep, name: Annotated[str, Form()],
                permission: Annotated[list[str] | None, Form()] = None,
                description: Annotated[str, Form()] = "") -> RedirectResponse:
    platform.access.create_role(ctx, name, permission or [], description)
    return RedirectResponse("/roles", status_code=303)


@router.post("/roles/{name}/delete", openapi_extra=policy(permission=WORKSPACE_ADMIN))
def delete_role(name: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    platform.access.delete_role(ctx, name)
    return RedirectResponse("/roles", status_code=303)
