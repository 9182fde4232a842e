"""Projects, their members and the roles they hold: who may do what where.

Members are those of the project of the request (``X-Sluice-Project``, else the token's,
else ``default``).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.access import (
    MEMBER,
    SIGNED_IN,
    WORKSPACE_ADMIN,
    MemberInfo,
    PermissionInfo,
    RoleInfo,
)
from sluice.core.projects import ProjectInfo

router = APIRouter(prefix="/api/v1", tags=["access"])
ADMIN = "admin"


class CreateProject(BaseModel):
    name: str = Field(max_length=64)
    description: str = Field("", max_length=2000)


class SetMember(BaseModel):
    role: str = Field(max_length=64, description="A built-in or custom role.")


class CreateRole(BaseModel):
    name: str = Field(max_length=64)
    permissions: list[str] = Field(max_length=500)
    description: str = Field("", max_length=2000)


@router.get("/projects", openapi_extra=policy(permission=SIGNED_IN))
def list_projects(ctx: CtxDep, platform: PlatformDep,
                  deleted: bool = False) -> list[ProjectInfo]:
    """Your projects with your role in each (workspace admins: all of them;
    ``deleted=true``: the deleted ones, which ``restore`` brings back)."""
    return platform.projects.list(ctx, deleted=deleted)


@router.post("/projects", status_code=201, openapi_extra=policy(permission=WORKSPACE_ADMIN))
def create_project(body: CreateProject, ctx: CtxDep, platform: PlatformDep) -> ProjectInfo:
    """A new, empty project; add people with PUT /api/v1/members/{user}."""
    return platform.projects.create(ctx, body.name, body.description)


@router.delete("/projects/{name}", openapi_extra=policy(permission=WORKSPACE_ADMIN))
def delete_project(name: str, ctx: CtxDep, platform: PlatformDep) -> ProjectInfo:
    """Hide a project: its data, members and tokens are kept, unusable until restored."""
    return platform.projects.delete(ctx, name)


@router.post("/projects/{name}/restore", openapi_extra=policy(permission=WORKSPACE_ADMIN))
def restore_project(name: str, ctx: CtxDep, platform: PlatformDep) -> ProjectInfo:
    return platform.projects.restore(ctx, name)


@router.get("/members", openapi_extra=policy(permission=MEMBER))
def list_members(ctx: CtxDep, platform: PlatformDep) -> list[MemberInfo]:
    """The project's members and their roles (workspace admins hold every role anyway)."""
    return platform.access.members(ctx)


@router.put("/members/{user}", openapi_extra=policy(permission=ADMIN))
def set_member(user: str, body: SetMember, ctx: CtxDep, platform: PlatformDep) -> MemberInfo:
    """Add a user to the project with a role, or change their role."""
    return platform.access.set_member(ctx, user, body.role)


@router.delete("/members/{user}", status_code=204, openapi_extra=policy(permission=ADMIN))
def remove_member(user: str, ctx: CtxDep, platform: PlatformDep) -> Response:
    platform.access.remove_member(ctx, user)
    return Response(status_code=204)


@router.get("/roles", openapi_extra=policy(permission=SIGNED_IN))
def list_roles(platform: PlatformDep, ctx: CtxDep) -> list[RoleInfo]:
    """The built-in roles (each granting what the ones before it grant) and custom ones."""
    return platform.access.roles()


@router.post("/roles", status_code=201, openapi_extra=policy(permission=WORKSPACE_ADMIN))
def create_role(body: CreateRole, ctx: CtxDep, platform: PlatformDep) -> RoleInfo:
    """A custom role granting exactly the named permissions (GET /api/v1/permissions)."""
    return platform.access.create_role(ctx, body.name, body.permissions, body.description)


@router.delete("/roles/{name}", status_code=204,
               openapi_extra=policy(permission=WORKSPACE_ADMIN))
def delete_role(name: str, ctx: CtxDep, platform: PlatformDep) -> Response:
    """Delete a custom role that nobody holds."""
    platform.access.delete_role(ctx, name)
    return Response(status_code=204)


@router.get("/permissions", openapi_extra=policy(permission=SIGNED_IN))
def list_permissions(platform: PlatformDep, ctx: CtxDep) -> list[PermissionInfo]:
    """Every permission the areas define, with the lowest built-in role that has it."""
    return platform.access.permissions()
