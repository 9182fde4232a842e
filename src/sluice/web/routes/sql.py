"""The SQL console."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sluice.api.deps import PlatformDep
from sluice.api.downloads import attachment
from sluice.core.sql import MEDIA_TYPES, to_bytes
from sluice.errors import SluiceError
from sluice.web.session import WebCtx
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)
EXAMPLE = "SELECT * FROM {name} LIMIT 10"


@twin(router, "/sql", "sql.html")
def sql_page(request: Request, ctx: WebCtx, platform: PlatformDep, q: str = "",
             limit: int = 1000) -> dict[str, Any]:
    datasets = [d.name for d in platform.datasets.list(ctx)]
    data: dict[str, Any] = {"title": "SQL", "query": q, "datasets": datasets, "result": None,
                            "error": None,
                            "example": EXAMPLE.format(name=datasets[0]) if datasets else ""}
    if q.strip():
        try:
            data["result"] = platform.sql.query(ctx, q, limit=min(limit, 10_000),
                                                metered=True).to_dict()
        except SluiceError as exc:
            data["error"] = exc.to_payload()["error"]
    return data


@router.get("/sql/export")
def sql_export(ctx: WebCtx, platform: PlatformDep, q: str, format: str = "csv") -> Response:
    result = platform.sql.query(ctx, q, metered=True)
    data = to_bytes(result.table, format)
    return Response(data, media_type=MEDIA_TYPES[format],
                    headers=attachment(f"query.{format}"))
