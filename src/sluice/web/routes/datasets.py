"""Dataset pages: the list, one dataset (versions, schema, rows, quality), diffs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from sluice.api.deps import PlatformDep
from sluice.api.policy import policy
from sluice.core.access import PUBLIC
from sluice.core.datasets import DatasetRef, RowsPage
from sluice.errors import InvalidInput, NotFound, Timeout
from sluice.web.charts import quality_charts
from sluice.web.session import WebCtx
from sluice.web.textdiff import row_changes
from sluice.web.twin import twin

router = APIRouter(include_in_schema=False)
PAGE = 25


@router.get("/", openapi_extra=policy(permission=PUBLIC))
def home() -> RedirectResponse:
    """To the datasets page (which asks for a login if needed)."""
    return RedirectResponse("/datasets", status_code=303)


@twin(router, "/datasets", "datasets.html")
def datasets_page(request: Request, ctx: WebCtx, platform: PlatformDep) -> dict[str, Any]:
    return {"title": "Datasets", "datasets": platform.datasets.list(ctx)}


@twin(router, "/datasets/{name}", "dataset.html")
def dataset_page(request: Request, name: str, ctx: WebCtx, platform: PlatformDep,
                 version: int | None = None, offset: int = 0, sort: str | None = None,
                 desc: bool = False, where: str | None = None) -> dict[str, Any]:
    """One dataset; its rows table is sorted (``sort``, ``desc``), filtered (``where``, one
    SQL condition) and paged (``offset``) on the server."""
    info = platform.datasets.get(ctx, name)
    versions = platform.datasets.versions(ctx, name)
    data: dict[str, Any] = {"title": name, "dataset": info, "versions": versions,
                            "version": None, "rows": None, "rows_error": None,
                            "quality": None, "charts": None,
                            "label_schemas": platform.labels.schemas(ctx, name)}
    if not versions:
        return data
    current = version or versions[0].number
    ref = str(DatasetRef(name, current))
    data["version"] = current
    data["schema"] = platform.datasets.schema(ctx, ref)
    data["rows"], data["rows_error"] = _rows(ctx, platform, ref, offset, sort, desc, where)
    data["row_columns"] = _key_first(data["rows"].columns, info.key_column)
    data["quality"] = _quality(ctx, platform, ref)
    data["charts"] = quality_charts(data["quality"].report) if data["quality"] else None
    return data


def _rows(ctx: Any, platform: Any, ref: str, offset: int, sort: str | None, desc: bool,
          where: str | None) -> tuple[RowsPage, str | None]:
    """The page of rows, or none and why (a filter that does not parse, say)."""
    try:
        page = platform.datasets.rows(ctx, ref, offset=max(0, offset), limit=PAGE, sort=sort,
                                      descending=desc, where=where)
        return page, None
    except (InvalidInput, Timeout) as exc:
        version = platform.datasets.version(ctx, ref)
        empty = RowsPage(dataset=version.dataset, version=version.number, offset=0,
                         limit=PAGE, total=0, columns=platform.datasets.schema(ctx, ref),
                         rows=[], sort=sort or None, descending=desc, where=where or None)
        return empty, f"{exc.message} ({exc.code})"


def _key_first(columns: list[Any], key_column: str | None) -> list[Any]:
    """The columns the rows table shows: the key column first (it is pinned), no ``_hash``."""
    shown = [c for c in columns if c.name != "_hash"]
    return sorted(shown, key=lambda c: c.name != key_column)


def _quality(ctx: Any, platform: Any, ref: str) -> Any:
    try:
        return platform.quality.get(ctx, ref)
    except NotFound:
        return None


@twin(router, "/datasets/{name}/diff", "diff.html")
def diff_page(request: Request, name: str, ctx: WebCtx, platform: PlatformDep,
              from_version: Annotated[int | None, Query(alias="from")] = None,
              to_version: Annotated[int | None, Query(alias="to")] = None) -> dict[str, Any]:
    versions = platform.datasets.versions(ctx, name)
    if not versions:
        raise NotFound(f"dataset {name!r} has no versions to compare", code="dataset_empty")
    to_v = to_version or versions[0].number
    from_v = from_version or max(1, to_v - 1)
    diff = platform.datasets.diff(ctx, name, from_v, to_v, limit=200)
    changes = {r.key: row_changes(r.before, r.after, r.changed_columns)
               for r in diff.rows if r.change == "changed"}
    return {"title": f"{name}: diff {from_v} → {to_v}", "name": name, "diff": diff,
            "versions": versions, "changes": changes,
            "same": not (diff.added or diff.removed or diff.changed or diff.columns_added
                         or diff.columns_removed)}


@router.post("/datasets/{name}/restore")
def restore(name: str, ctx: WebCtx, platform: PlatformDep,
            version: Annotated[int, Form()]) -> RedirectResponse:
    platform.datasets.restore(ctx, name, version)
    return RedirectResponse(f"/datasets/{name}", status_code=303)


@router.post("/datasets/{name}/quality")
def run_quality(name: str, ctx: WebCtx, platform: PlatformDep,
                version: Annotated[int, Form()]) -> RedirectResponse:
    job = platform.quality.run(ctx, str(DatasetRef(name, version)))
    return RedirectResponse(f"/jobs/{job.id}?back=/datasets/{name}", status_code=303)


@router.post("/datasets/{name}/redact")
def redact(name: str, ctx: WebCtx, platform: PlatformDep) -> RedirectResponse:
    job = platform.quality.redact(ctx, name)
    return RedirectResponse(f"/jobs/{job.id}?back=/datasets/{name}", status_code=303)
