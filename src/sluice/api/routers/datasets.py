"""Datasets: list, inspect, versions, rows, diff, restore, append, export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sluice.api.body import read_json_limited
from sluice.api.deps import CtxDep, PlatformDep
from sluice.api.downloads import attachment
from sluice.api.policy import policy
from sluice.core.datasets import (
    ColumnInfo,
    DatasetInfo,
    DatasetKind,
    DiffResult,
    RowsPage,
    VersionInfo,
)
from sluice.core.sql import MEDIA_TYPES
from sluice.core.streams import AppendResult
from sluice.errors import InvalidInput

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"])


class CreateDataset(BaseModel):
    name: str
    kind: DatasetKind = DatasetKind.TABLE
    description: str = Field("", max_length=10_000)
    key_column: str | None = None


class RestoreBody(BaseModel):
    version: int


class DeleteRowsBody(BaseModel):
    where: str


@router.get("")
def list_datasets(ctx: CtxDep, platform: PlatformDep) -> list[DatasetInfo]:
    return platform.datasets.list(ctx)


@router.post("", status_code=201)
def create_dataset(body: CreateDataset, ctx: CtxDep, platform: PlatformDep) -> DatasetInfo:
    return platform.datasets.create(ctx, body.name, kind=body.kind,
                                    description=body.description, key_column=body.key_column)


@router.get("/{name}")
def get_dataset(name: str, ctx: CtxDep, platform: PlatformDep) -> DatasetInfo:
    return platform.datasets.get(ctx, name)


@router.delete("/{name}", status_code=204)
def delete_dataset(name: str, ctx: CtxDep, platform: PlatformDep) -> Response:
    platform.datasets.delete(ctx, name)
    return Response(status_code=204)


@router.get("/{name}/versions")
def list_versions(name: str, ctx: CtxDep, platform: PlatformDep) -> list[VersionInfo]:
    return platform.datasets.versions(ctx, name)


@router.get("/{ref}/version")
def get_version(ref: str, ctx: CtxDep, platform: PlatformDep) -> VersionInfo:
    """One version; ``ref`` is ``name``, ``name@N`` or ``name@latest``."""
    return platform.datasets.version(ctx, ref)


@router.get("/{ref}/schema")
def get_schema(ref: str, ctx: CtxDep, platform: PlatformDep) -> list[ColumnInfo]:
    return platform.datasets.schema(ctx, ref)


@router.get("/{ref}/rows")
def get_rows(
    ref: str, ctx: CtxDep, platform: PlatformDep, offset: int = 0, limit: int = 50,
    columns: Annotated[list[str] | None, Query()] = None,
    sort: Annotated[str | None, Query(
        description="Column to order by; without it rows come by the key column.")] = None,
    desc: Annotated[bool, Query(description="Sort high to low.")] = False,
    where: Annotated[str | None, Query(
        description="One SQL condition rows must meet, e.g. score > 0.5; `total` then "
                    "counts the matching rows.")] = None,
) -> RowsPage:
    """A page of rows of a version, sorted and filtered on the server."""
    return platform.datasets.rows(ctx, ref, offset=offset, limit=limit, columns=columns,
                                  sort=sort, descending=desc, where=where)


@router.get("/{name}/diff")
def diff(
    name: str, ctx: CtxDep, platform: PlatformDep,
    from_version: Annotated[str, Query(alias="from")],
    to_version: Annotated[str, Query(alias="to")] = "latest", limit: int = 100,
) -> DiffResult:
    return platform.datasets.diff(ctx, name, from_version, to_version, limit=limit)


@router.post("/{name}/restore")
def restore(name: str, body: RestoreBody, ctx: CtxDep, platform: PlatformDep) -> VersionInfo:
    return platform.datasets.restore(ctx, name, body.version)


@router.post("/{name}/delete-rows")
def delete_rows(name: str, body: DeleteRowsBody, ctx: CtxDep,
                platform: PlatformDep) -> VersionInfo | None:
    return platform.datasets.delete_rows(ctx, name, body.where)


@router.post("/{name}/rows", openapi_extra=policy(body="max_append_bytes", streamed=True,
                                                   permission="datasets.write"))
async def append_rows(
    name: str, request: Request, ctx: CtxDep, platform: PlatformDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> AppendResult:
    """Append a batch: ``{"rows": [{...}, ...], "key_column": null}``.

    Send an ``Idempotency-Key`` header so a retried batch is stored once.
    """
    ctx.require("datasets.write", "append rows")  # before the body is read
    body = await read_json_limited(request, platform.settings.max_append_bytes,
                                   platform.settings.max_json_depth)
    if not isinstance(body, dict) or "rows" not in body:
        raise InvalidInput('the body must be {"rows": [...]}', code="invalid_rows")
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(
        platform.appends.append, ctx, name, body["rows"], idempotency_key=idempotency_key,
        key_column=_key_column(body))


def _key_column(body: dict[str, Any]) -> str | None:
    key = body.get("key_column")
    if key is not None and not isinstance(key, str):
        raise InvalidInput("key_column must be a string", code="invalid_rows")
    return key


@router.get("/{ref}/export")
def export(ref: str, ctx: CtxDep, platform: PlatformDep, format: str = "parquet") -> Response:
    """The whole version as csv, jsonl, json, parquet or arrow."""
    data = platform.datasets.export(ctx, ref, format)
    name = ref.replace("@", "-v")
    return Response(data, media_type=MEDIA_TYPES[format], headers=attachment(f"{name}.{format}"))
