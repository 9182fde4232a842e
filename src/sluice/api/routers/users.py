"""Users and roles (admins only)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.auth.service import UserInfo
from sluice.core.context import Role

router = APIRouter(prefix="/api/v1/users", tags=["users"])


class CreateUser(BaseModel):
    name: str
    role: Role = Role.VIEWER


@router.get("")
def list_users(ctx: CtxDep, platform: PlatformDep) -> list[UserInfo]:
    """Every user and role."""
    return platform.auth.list_users(ctx)


@router.post("", status_code=201)
def create_user(body: CreateUser, ctx: CtxDep, platform: PlatformDep) -> UserInfo:
    """Add a viewer, editor or admin; give them a token with POST /api/v1/tokens."""
    return platform.auth.create_user(ctx, body.name, body.role)
