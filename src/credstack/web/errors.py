"""Errors on web pages: the same error tree as the API, shown as an HTML page.

A request is answered with HTML when a page handler was reached (``credstack.web`` in the
request scope) or, for unknown paths, when the browser asks for HTML; everything else keeps
the API's problem+json.  A page that needs a signed-in user redirects to the sign-in page.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from credstack.api import problems
from credstack.api.context import get_context
from credstack.errors import CredstackError, Unauthenticated
from credstack.web.core import Web, render, web_state

log = logging.getLogger("credstack.web")


def wants_html(request: Request) -> bool:
    if request.scope.get("credstack.web"):
        return True
    accept = request.headers.get("accept", "")
    return "text/html" in accept and request.method in ("GET", "HEAD")


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    context = {"status": status, "title": HTTPStatus(status).phrase, "message": message}
    headers = {"Cache-Control": "no-store"}
    try:  # the page shows who is signed in, when that can still be told
        web = Web(request, get_context(request), web_state(request))
        return render(web, "error.html", context, status=status, headers=headers)
    except Exception:  # the database itself may be what failed
        env = web_state(request).env
        values = {"user": None, "csrf": "", "csrf_field": "csrf", "path": request.url.path}
        body = env.get_template("error.html").render({**values, **context})
        return HTMLResponse(body, status_code=status, headers=headers)


async def _credstack_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CredstackError)
    if not wants_html(request):
        return problems.error_response(exc)
    if isinstance(exc, Unauthenticated) and request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
    status = problems.status_for(exc)
    message = exc.message
    if status >= 500:
        log.error("server error %s: %s", exc.code, exc.message)
        message = "the server could not complete the request; nothing was changed"
    return error_page(request, status, message)


async def _validation_error(request: Request, exc: Exception) -> Response:
    if not wants_html(request):
        return await problems.validation_error(request, exc)
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = "/".join(str(p) for p in first.get("loc", ()))
    return error_page(request, 400, f"{where}: {first.get('msg', 'invalid request')}")


async def _http_error(request: Request, exc: Exception) -> Response:
    if not wants_html(request):
        return await problems.http_error(request, exc)
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_page(request, 404, "There is no page at this address.")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return error_page(request, exc.status_code, detail)


async def _unexpected(request: Request, exc: Exception) -> Response:
    if not wants_html(request):
        return await problems.unexpected(request, exc)
    log.error("unexpected error", exc_info=exc)
    return error_page(request, 500, "the server could not complete the request")


def install(app: FastAPI) -> None:
    """Replace the API's handlers with ones that answer pages in HTML."""
    app.add_exception_handler(CredstackError, _credstack_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
