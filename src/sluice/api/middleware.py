"""Guards every request passes through, as plain ASGI middleware (cheap on the hot path).

- :class:`SecurityHeaders`: a strict Content-Security-Policy and the other browser
  protections on every response, API and pages alike.
- :class:`BodyLimits`: one global limit on request bodies (``max_body_bytes``), with
  per-route overrides for the routes that stream large bodies and check their own limit;
  JSON bodies are also refused when nested deeper than ``max_json_depth``. A refused body
  gets the pinned JSON error before the route (or its authentication) runs.
- :class:`CatchAll`: an unexpected exception becomes the JSON 500 (or the error page) and
  the connection stays usable; Starlette's own handler re-raises, so the server resets it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sluice.api.jsondepth import check_json_depth
from sluice.errors import PayloadTooLarge, SluiceError

log = logging.getLogger("sluice.api")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_HEADER_NAMES = {name for name, _ in HEADERS}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] not in _HEADER_NAMES]
                message["headers"] = headers + HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class RouteLimit:
    """A route whose body may be bigger than the global limit: ``limit`` replaces it.
    A ``streamed`` body (a file upload) passes through counted; others are read here."""

    pattern: re.Pattern[str]
    methods: frozenset[str]
    limit: int
    streamed: bool


class BodyLimits:
    """Bodies are read here first, up to the route's limit, so an oversized or too deeply
    nested one is refused before any route code runs; the streamed bodies of upload routes
    pass through, counted against theirs."""

    def __init__(self, app: ASGIApp, *, limit: int, max_depth: int,
                 overrides: Callable[[], Iterable[RouteLimit]]) -> None:
        self.app = app
        self.limit = limit
        self.max_depth = max_depth
        self._overrides = overrides
        self._cache: list[RouteLimit] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        override = self._override(scope)
        limit = override.limit if override else self.limit
        try:
            _check_declared(scope, limit)
            if override is not None and override.streamed:
                await self.app(scope, _counting(receive, limit), send)
                return
            body = await _read_all(receive, limit)
            if _is_json(scope):
                check_json_depth(body, self.max_depth)
        except SluiceError as exc:
            await _reply(scope, receive, send, exc)
            return
        await self.app(scope, _replay(body, receive), send)

    def _override(self, scope: Scope) -> RouteLimit | None:
        if self._cache is None:
            self._cache = list(self._overrides())
        path, method = scope["path"], scope["method"]
        for route in self._cache:
            if method in route.methods and route.pattern.match(path):
                return route
        return None


class CatchAll:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            if not isinstance(exc, SluiceError):
                log.exception("unhandled error on %s %s", scope["method"], scope["path"])
                exc = SluiceError("internal error; the server log has the details")
            await _reply(scope, receive, send, exc)


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the body exceeds {limit} bytes; send smaller batches or files",
                           details={"limit": limit})


def _check_declared(scope: Scope, limit: int) -> None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            if not value.isdigit():
                raise PayloadTooLarge("the Content-Length header is not a number",
                                      code="invalid_content_length")
            if int(value) > limit:
                raise too_large(limit)


async def _read_all(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the client to disconnect

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise too_large(limit)
        return message

    return counted


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media = bytes(value).split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


async def _reply(scope: Scope, receive: Receive, send: Send, exc: SluiceError) -> None:
    from sluice.api.errors import error_response

    request = Request(scope, receive)
    response = error_response(exc, request) if "app" in scope else _plain(exc)
    await response(scope, receive, send)


def _plain(exc: SluiceError) -> Any:
    from starlette.responses import Response

    return Response(json.dumps(exc.to_payload()), status_code=exc.http_status,
                    media_type="application/json")
