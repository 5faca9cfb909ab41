"""Errors as RFC 9457 problem details (https://www.rfc-editor.org/rfc/rfc9457).

One mapping from the :mod:`credstack.errors` tree to HTTP statuses; every error response is
``application/problem+json`` with ``type``, ``title``, ``status``, ``detail`` and ``code``.
No traceback or secret ever reaches a client.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from credstack.errors import (
    Conflict,
    CredstackError,
    FetchError,
    InvalidInput,
    InvalidState,
    JsonLdError,
    NotFound,
    PermissionDenied,
    ProofError,
    ResolutionError,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from credstack.verify.report import VerificationFailed

log = logging.getLogger("credstack.api")
PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5

# most specific first: the first class an error is an instance of decides the status
_STATUS: tuple[tuple[type[CredstackError], int], ...] = (
    (VerificationFailed, 400),
    (ValidationFailed, 422),
    (JsonLdError, 422),
    (ProofError, 422),
    (ResolutionError, 422),
    (FetchError, 422),
    (InvalidInput, 400),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidState, 409),
    (PermissionDenied, 403),
    (Unauthenticated, 401),
    (Unavailable, 503),
)


def status_for(error: CredstackError) -> int:
    """The HTTP status of a credstack error (500 for configuration and unknown errors)."""
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 500


def problem_type(code: str) -> str:
    return "urn:credstack:problem:" + code.lower().replace("_", "-")


def problem(status: int, detail: str, code: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return body


def problem_bytes(status: int, title: str, detail: str, code: str) -> bytes:
    body = problem(status, detail, code)
    body["title"] = title
    return json.dumps(body).encode()


def problem_response(
    status: int, detail: str, code: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(
        problem(status, detail, code, **extra),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def error_response(error: CredstackError) -> JSONResponse:
    status = status_for(error)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    detail = error.message
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="credstack"'
    elif status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    elif status == 500:
        log.error("server error %s: %s", error.code, error.message)
        detail = "the server could not complete the request"
    if isinstance(error, VerificationFailed):
        extra["verificationReport"] = error.report.to_json()
    if isinstance(error, ValidationFailed) and error.problems:
        extra["problems"] = error.problems[:50]
    return problem_response(status, detail, error.code, headers=headers, **extra)


async def credstack_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CredstackError)
    return error_response(exc)


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": [str(part) for part in e.get("loc", ())], "message": str(e.get("msg", ""))}
        for e in exc.errors()[:50]
    ]
    first = errors[0] if errors else {"location": [], "message": "invalid request"}
    detail = f"{'/'.join(first['location'])}: {first['message']}"
    return problem_response(400, detail, "INVALID_INPUT", errors=errors)


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 409: "CONFLICT"}
    code = codes.get(exc.status_code, "INVALID_INPUT")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = "no such resource"
    headers = dict(exc.headers or {})
    return problem_response(exc.status_code, detail, code, headers=headers)


async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error", exc_info=exc)
    return problem_response(500, "the server could not complete the request", "INTERNAL_ERROR")


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""
    app.add_exception_handler(CredstackError, credstack_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
