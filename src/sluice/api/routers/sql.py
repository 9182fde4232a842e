"""Read-only SQL over datasets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sluice.api.deps import CtxDep, PlatformDep
from sluice.core.sql import FORMATS, MEDIA_TYPES, to_bytes

router = APIRouter(prefix="/api/v1", tags=["sql"])


class SqlBody(BaseModel):
    query: str = Field(max_length=100_000)
    limit: int | None = None
    timeout: float | None = None
    format: str = Field("json", description=f"json (an object with columns and rows) or one "
                                            f"of {', '.join(FORMATS)} for the raw rows")


@router.post("/sql", response_model=None)
def run_sql(body: SqlBody, ctx: CtxDep, platform: PlatformDep) -> dict[str, Any] | Response:
    """Run one read-only query; ``"tickets@3"`` reads an older version."""
    result = platform.sql.query(ctx, body.query, limit=body.limit, timeout=body.timeout,
                                metered=True)
    if body.format == "json":
        return result.to_dict()
    data = to_bytes(result.table, body.format)
    headers = {"X-Sluice-Truncated": str(result.truncated).lower(),
               "X-Sluice-Elapsed-Ms": f"{result.elapsed_ms:.3f}",
               "X-Sluice-Limit": str(result.limit)}
    return Response(data, media_type=MEDIA_TYPES[body.format], headers=headers)
