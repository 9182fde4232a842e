"""Reading request bodies with a size limit, before anything is parsed.

Every body is bounded by ``max_body_bytes`` (``sluice.api.middleware.BodyLimits``); a
route that takes a bigger one declares the setting that bounds it (``sluice.api.policy``),
and a route that streams its body reads it with the helpers here.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from sluice.api.jsondepth import check_json_depth
from sluice.errors import InvalidInput, PayloadTooLarge

OFF_LOOP_BYTES = 64 * 1024


async def read_limited(request: Request, limit: int) -> bytes:
    """The raw body; refuses more than ``limit`` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def check_json(raw: bytes, max_depth: int) -> None:
    """The depth and encoding check, off the event loop for bodies past 64 KiB."""
    if len(raw) > OFF_LOOP_BYTES:
        await run_in_threadpool(check_json_depth, raw, max_depth)
    else:
        check_json_depth(raw, max_depth)


async def read_json_limited(request: Request, limit: int, max_depth: int = 64) -> Any:
    raw = await read_limited(request, limit)
    await check_json(raw, max_depth)
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}", code="invalid_json") from exc
    except RecursionError as exc:
        raise InvalidInput("the JSON body nests too deeply", code="json_too_deep") from exc


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the body exceeds {limit} bytes; send smaller batches",
                           details={"limit": limit})


async def stream_to_file(request: Request, path: Any, limit: int) -> int:
    """Write the body to ``path`` chunk by chunk (never all in memory); returns its size."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    size = 0
    with open(path, "wb") as fh:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            fh.write(chunk)
    return size
