"""The one place errors become HTTP responses (the pinned JSON error shape)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sluice.api.validation import describe
from sluice.errors import InvalidInput, MethodNotAllowed, NotFound, SluiceError

log = logging.getLogger("sluice.api")

_STATUS_ERRORS = {
    404: (NotFound, "route_not_found", "no such route; see /docs for the API"),
    405: (MethodNotAllowed, "method_not_allowed", "this route does not accept that method; "
                                                  "see /docs for what it does accept"),
}


_MLFLOW_PATHS = ("/api/2.0/mlflow", "/api/3.0/mlflow")
_MLFLOW_CODES = {404: "RESOURCE_DOES_NOT_EXIST", 409: "RESOURCE_ALREADY_EXISTS",
                 400: "INVALID_PARAMETER_VALUE", 413: "INVALID_PARAMETER_VALUE",
                 422: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED",
                 403: "PERMISSION_DENIED", 429: "REQUEST_LIMIT_EXCEEDED"}


def mlflow_error(exc: SluiceError) -> Response:
    """MLflow's error shape (``error_code`` and ``message``), which its client parses;
    Sluice's own error object rides along under ``sluice``."""
    code = _MLFLOW_CODES.get(exc.http_status, "INTERNAL_ERROR")
    status = 400 if code == "RESOURCE_ALREADY_EXISTS" else exc.http_status
    return JSONResponse({"error_code": code, "message": exc.message,
                         "sluice": exc.to_payload()["error"]}, status_code=status)


def error_response(exc: SluiceError, request: Request | None = None) -> Response:
    """The response for ``exc``: the pinned JSON shape, MLflow's shape on its routes, or
    the web UI's error page."""
    if request is not None and request.url.path.startswith(_MLFLOW_PATHS):
        return mlflow_error(exc)
    renderer = getattr(request.app.state, "render_error_page", None) if request else None
    page = renderer(request, exc) if renderer else None
    if page is not None:
        return page  # type: ignore[no-any-return]
    return JSONResponse(exc.to_payload(), status_code=exc.http_status, headers=_headers(exc))


def _headers(exc: SluiceError) -> dict[str, str] | None:
    if exc.http_status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if exc.http_status == 429 and "retry_after" in exc.details:
        return {"Retry-After": str(exc.details["retry_after"])}
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SluiceError)
    async def _sluice(request: Request, exc: SluiceError) -> Response:
        return error_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        raw = list(exc.errors())
        errors = [{"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")}
                  for e in raw[:20]]
        return error_response(InvalidInput(
            describe(raw), code="invalid_request", details={"errors": errors}), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        cls, code, message = _STATUS_ERRORS.get(
            exc.status_code, (SluiceError, "http_error", str(exc.detail)))
        err = cls(message, code=code)
        response = error_response(err, request)
        response.status_code = exc.status_code
        return response

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        # A number from the request that fits no database column (ids, limits, offsets).
        return error_response(InvalidInput(
            "a number in the request is out of range (at most 2^63 - 1)",
            code="number_out_of_range"), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(SluiceError("internal error; the server log has the details"),
                              request)
