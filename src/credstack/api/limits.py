"""Request body limits, enforced before and while a body is read (never by reading it whole)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credstack.api.problems import problem_bytes

MB = 1_048_576
#: the routes that take a bulk upload (or job postings) as their raw body
UPLOAD_ROUTE = re.compile(r"/(orgs|console)/[^/]+/(jobs|postings)/?\Z")
#: web pages that take a file in a form (images, credentials to import or verify)
FORM_UPLOAD_ROUTE = re.compile(r"/(console|wallet|verify|employer)(/|\Z)")


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits of the HTTP API."""

    body_bytes: int = MB  # every JSON body
    upload_bytes: int = 200 * MB  # a bulk upload (POST /orgs/{slug}/jobs)
    form_upload_bytes: int = 60 * MB  # a web form with a file (each page bounds its files)
    max_page_size: int = 100


class _TooLarge(Exception):
    """Raised from ``receive`` once a body passes its limit."""


class BodyLimitMiddleware:
    """Answers 413 problem+json for a body over its route's limit.

    A declared ``Content-Length`` over the limit is refused before anything is read; a body
    without one (chunked) is counted as it arrives and refused when it passes the limit.
    """

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    def _limit(self, scope: Scope) -> int:
        path = str(scope.get("path", ""))
        if scope.get("method") == "POST" and UPLOAD_ROUTE.match(path):
            return self.limits.upload_bytes
        if scope.get("method") == "POST" and FORM_UPLOAD_ROUTE.match(path):
            return self.limits.form_upload_bytes
        return self.limits.body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > limit:
                    await _refuse(send, limit, declared < 0, _wants_html(scope))
                    return
        seen = 0
        over = False
        started = False

        async def limited_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                return  # whatever the app answers to the aborted read is replaced below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _refuse(send, limit, False, _wants_html(scope))


def _wants_html(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"accept":
            return b"text/html" in value
    return False


async def _refuse(send: Send, limit: int, bad_length: bool, html: bool = False) -> None:
    if bad_length:
        status, title, code = 400, "Bad Request", "INVALID_INPUT"
        detail = "the Content-Length header is not a number"
    else:
        status, title, code = 413, "Content Too Large", "INPUT_TOO_LARGE"
        detail = f"the request body is over the limit of {limit} bytes for this route"
    if html:  # a browser's form: a page it can show (nothing user-supplied is in it)
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>'
            f'{title}</title></head><body><main><h1>{title}</h1><p role="alert">'
            f"The file or form you sent is too large: the limit is {limit // MB} MB. "
            'Nothing was saved.</p><p><a href="/">Home</a></p>'
            "</main></body></html>"
        ).encode()
        kind = b"text/html; charset=utf-8"
    else:
        body = problem_bytes(status, title, detail, code)
        kind = b"application/problem+json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
