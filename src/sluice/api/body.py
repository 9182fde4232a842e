"""Reading request bodies with a size limit, before anything is parsed.

Every body is bounded by ``max_body_bytes`` (``sluice.api.middleware.BodyLimits``). A
route that streams a bigger one names the setting that bounds it instead, with
``openapi_extra={BODY_LIMIT: "max_upload_bytes"}``, and reads it with the helpers here; a
route whose (JSON) body FastAPI parses but may be bigger uses ``JSON_BODY_LIMIT``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from sluice.api.jsondepth import check_json_depth
from sluice.errors import InvalidInput, PayloadTooLarge

BODY_LIMIT = "x-sluice-body-limit"
JSON_BODY_LIMIT = "x-sluice-json-body-limit"


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


async def read_json_limited(request: Request, limit: int, max_depth: int = 64) -> Any:
    raw = await read_limited(request, limit)
    check_json_depth(raw, max_depth)
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
