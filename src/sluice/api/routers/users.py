"""Users (workspace admins only); their roles are held per project (``access``)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.access import WORKSPACE_ADMIN
from sluice.core.auth import UserInfo
from sluice.core.context import Role

router = APIRouter(prefix="/api/v1/users", tags=["users"])


class CreateUser(BaseModel):
    name: str
    role: str | None = Field(Role.VIEWER, description="Their role in the project of the "
                             "request (X-Sluice-Project); null: none yet.")
    admin: bool = Field(False, description="A workspace admin: every project, users, "
                        "projects and roles.")


@router.get("", openapi_extra=policy(permission=WORKSPACE_ADMIN))
def list_users(ctx: CtxDep, platform: PlatformDep) -> list[UserInfo]:
    """Every user, with their role in the project of the request."""
    return platform.auth.list_users(ctx)


@router.post("", status_code=201, openapi_extra=policy(permission=WORKSPACE_ADMIN))
def create_user(body: CreateUser, ctx: CtxDep, platform: PlatformDep) -> UserInfo:
    """Add a user with a role in the project; give them a token with POST /api/v1/tokens."""
    return platform.auth.create_user(ctx, body.name, body.role, admin=body.admin)
