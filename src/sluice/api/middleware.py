"""Guards every request passes through, as plain ASGI middleware (cheap on the hot path).

- :class:`SecurityHeaders`: a strict Content-Security-Policy and the other browser
  protections on every response, API and pages alike.
- :class:`BodyLimits`: one global limit on request bodies (``max_body_bytes``), with
  per-route overrides for the routes that stream large bodies and check their own limit;
  JSON bodies are also refused when nested deeper than ``max_json_depth``. A refused body
  gets the pinned JSON error before the route (or its authentication) runs.
- :class:`Authenticate`: requests with a body are authenticated, and their route's
  permission checked, before the body is read.
- :class:`CatchAll`: an unexpected exception becomes the JSON 500 (or the error page) and
  the connection stays usable; Starlette's own handler re-raises, so the server resets it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sluice.api.body import check_json
from sluice.api.policy import Policies
from sluice.errors import PayloadTooLarge, SluiceError

log = logging.getLogger("sluice.api")
Check = Callable[[Request], Any]  # the principal behind a request, or a SluiceError
Refuse = Callable[[Request, SluiceError], Any]  # a web page's answer to a failed login
Admit = Callable[[Request, Any, "str | None", bool], Any]  # (request, principal, need, api)
Recall = Callable[[Request, "str | None"], Any]  # an API caller's context from memory, or None
Resolve = Callable[[Request, "str | None"], Any]  # an API caller's context, looked up
API_PREFIXES = ("/api/", "/v1/")
PRINCIPAL = "sluice.principal"  # the scope keys Authenticate fills
CTX = "sluice.ctx"

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


class _HttpMiddleware:
    """Passes anything but HTTP (lifespan, websockets) straight through to ``handle``'s app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class SecurityHeaders(_HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] not in _HEADER_NAMES]
                message["headers"] = headers + HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimits(_HttpMiddleware):
    """Bodies are read here first, up to the route's limit, so an oversized or too deeply
    nested one is refused before any route code runs; the streamed bodies of upload routes
    pass through, counted against theirs."""

    def __init__(self, app: ASGIApp, *, limit: int, max_depth: int,
                 policies: Policies) -> None:
        super().__init__(app)
        self.limit = limit
        self.max_depth = max_depth
        self.policies = policies

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = self.policies.match(scope["path"], scope["method"])
        limit = declared.limit if declared and declared.limit else self.limit
        try:
            _check_declared(scope, limit)
            if declared is not None and declared.streamed:
                await self.app(scope, _counting(receive, limit), send)
                return
            body = await _read_all(receive, limit)
            if _is_json(scope):
                await check_json(body, self.max_depth)
        except SluiceError as exc:
            await _reply(scope, receive, send, exc)
            return
        await self.app(scope, _replay(body, receive), send)


class Authenticate(_HttpMiddleware):
    """Requests that carry a body are authenticated before any of it is read: a caller
    without a valid token (API) or session (web UI) is answered for the price of its
    headers (401, 429 after many failures, or the web UI's redirect to the login page),
    one without the permission its route declares gets 403, and one asking for a project
    it may not see 404. The admitted scope rides along, so the route does not look it up
    again."""

    def __init__(self, app: ASGIApp, *, api: Check, web: Check, refuse: Refuse,
                 public: frozenset[str], policies: Policies, admit: Admit,
                 recall: Recall, resolve: Resolve) -> None:
        super().__init__(app)
        self.api, self.web, self.refuse, self.public = api, web, refuse, public
        self.policies, self.admit = policies, admit
        self.recall, self.resolve = recall, resolve

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if scope["method"] in ("GET", "HEAD", "OPTIONS") or path in self.public:
            await self.app(scope, receive, send)
            return
        api = path.startswith(API_PREFIXES)
        request = Request(scope, receive)
        declared = self.policies.match(path, scope["method"])

        def check() -> None:
            if api and declared is not None:
                scope[CTX] = self.resolve(request, declared.permission)
                scope[PRINCIPAL] = scope[CTX].actor
                return
            principal = (self.api if api else self.web)(request)
            if declared is not None:  # no route: its 404 or 405 comes later
                scope[CTX] = self.admit(request, principal, declared.permission, api)
            scope[PRINCIPAL] = principal

        try:
            recalled = self.recall(request, declared.permission) \
                if api and declared is not None else None
            if recalled is not None:  # admitted a moment ago: no thread, no query
                scope[CTX], scope[PRINCIPAL] = recalled, recalled.actor
            else:
                await run_in_threadpool(check)
        except SluiceError as exc:
            page = None if api else self.refuse(request, exc)
            if page is None:
                await _reply(scope, receive, send, exc)
            else:
                await page(scope, receive, send)
            return
        await self.app(scope, receive, send)


class CatchAll(_HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
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
    return True  # no type: some FastAPI versions parse it as JSON, so check it as JSON


async def _reply(scope: Scope, receive: Receive, send: Send, exc: SluiceError) -> None:
    from sluice.api.errors import error_response

    request = Request(scope, receive)
    response = error_response(exc, request) if "app" in scope else _plain(exc)
    await response(scope, receive, send)


def _plain(exc: SluiceError) -> Any:
    from starlette.responses import Response

    return Response(json.dumps(exc.to_payload()), status_code=exc.http_status,
                    media_type="application/json")
