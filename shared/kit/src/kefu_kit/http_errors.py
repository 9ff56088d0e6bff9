"""One error shape for every kefu API, and the one place that maps failures to HTTP statuses.

Every 4xx and 5xx body is an ``ErrorBody``::

    {"detail": "what was wrong, in words", "code": "validation_error", "status": 422,
     "errors": [{"loc": ["query", "limit"], "msg": "...", "type": "..."}]}

``detail`` stays where FastAPI puts it, so clients written against the
default shape keep working; ``code`` is stable for programs, ``errors`` lists
each invalid field. A failure nobody mapped is logged with its request id and
answered 500 in the same shape without internals; store or broker outages
answer 503, a unique-key race 409.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pymongo import errors as mongo_errors
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import is_transient
from .logging import get_logger

log = get_logger(__name__)

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 410: "gone", 413: "too_large", 415: "unsupported_media_type", 422: "validation_error",
         429: "too_many_requests", 500: "internal_error", 502: "bad_gateway", 503: "unavailable"}


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where: body/query/path/header, then the field path")
    msg: str
    type: str


class ErrorBody(BaseModel):
    """What every kefu API answers when it refuses or fails."""

    detail: str = Field(description="what was wrong, for a person")
    code: str = Field(description="stable machine code: " + ", ".join(sorted(set(CODES.values()))))
    status: int
    errors: list[FieldError] | None = Field(None, description="each invalid field (validation errors)")


def error_response(status: int, description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# The responses every authenticated route documents (auth.document_access adds 401/403 with these).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: error_response(401, "no token, or an unknown one"),
    403: error_response(403, "the token's role may not do this"),
    404: error_response(404, "what the path names does not exist (or is not the caller's to see)"),
    422: error_response(422, "invalid input: each field in `errors`"),
}


def _body(status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": CODES.get(status, "error"), "status": status}
    if errors is not None:
        body["errors"] = errors
    return body


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        out.append({"loc": [p if isinstance(p, (str, int)) else str(p) for p in e.get("loc", ())],
                    "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))})
    return out


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "invalid input: " + "; ".join(parts) + more if parts else "invalid input"


def _path(request: Request) -> str:
    """The path from the scope: ``request.url`` decodes the query string, which may not be UTF-8."""
    return str(request.scope.get("path", ""))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app`` (the kit does it for every service)."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        errors = None
        raw = exc.detail
        if isinstance(raw, list) and raw and all(isinstance(e, dict) and "loc" in e and "msg" in e for e in raw):
            # a route's own validation, in FastAPI's list form: the same shape as a RequestValidationError
            errors = [{"loc": list(e["loc"]), "msg": str(e["msg"]), "type": str(e.get("type", "value_error"))}
                      for e in raw]
            detail = _summary(errors)
        elif detail is None:
            detail = str(jsonable_encoder(raw))
        return JSONResponse(_body(exc.status_code, detail, errors), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        return JSONResponse(_body(422, _summary(errors), errors), status_code=422)

    @app.exception_handler(mongo_errors.DuplicateKeyError)
    async def duplicate(_request: Request, _exc: mongo_errors.DuplicateKeyError) -> JSONResponse:
        return JSONResponse(_body(409, "a concurrent request created the same record; retry to see it"),
                            status_code=409)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        ref = uuid.uuid4().hex[:12]
        if is_transient(exc):
            log.warning("request failed: dependency unavailable", path=_path(request), ref=ref, error=repr(exc))
            return JSONResponse(_body(503, f"a store or the broker is unavailable; retry (ref {ref})"),
                                status_code=503, headers={"Retry-After": "2"})
        log.error("request failed", path=_path(request), method=request.method, ref=ref, error=repr(exc),
                  exc_info=exc)
        return JSONResponse(_body(500, f"internal error (ref {ref} in the service's log)"), status_code=500)


__all__ = ["ERROR_RESPONSES", "ErrorBody", "FieldError", "HTTPException", "error_response",
           "install_error_handlers"]
