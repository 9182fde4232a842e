"""API tokens."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.policy import policy
from sluice.core.access import SIGNED_IN
from sluice.core.auth import MAX_TOKEN_DAYS, NewToken, TokenInfo

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


class CreateToken(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    user: str | None = None
    expires_days: float | None = Field(None, gt=0, le=MAX_TOKEN_DAYS)
    project: str | None = Field(None, description="Scope the token to this project.")


@router.get("", openapi_extra=policy(permission=SIGNED_IN))
def list_tokens(ctx: CtxDep, platform: PlatformDep, sessions: bool = False) -> list[TokenInfo]:
    """Your API tokens (admins: everyone's); ``sessions=true`` adds the web sessions, each
    with the token it was opened with (``parent``)."""
    return platform.auth.list_tokens(ctx, sessions=sessions)


@router.post("", status_code=201, openapi_extra=policy(permission=SIGNED_IN))
def create_token(body: CreateToken, ctx: CtxDep, platform: PlatformDep) -> NewToken:
    """A new token (shown once); with ``project`` it works in that project only."""
    return platform.auth.create_token(ctx, body.name, user=body.user,
                                      expires_days=body.expires_days, project=body.project)


@router.delete("/{token_id}", openapi_extra=policy(permission=SIGNED_IN))
def revoke_token(token_id: str, ctx: CtxDep, platform: PlatformDep) -> TokenInfo:
    """Revoke a token and every web session opened with it, or one web session."""
    return platform.auth.revoke_token(ctx, token_id)
