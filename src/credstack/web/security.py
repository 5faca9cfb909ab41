"""Browser-facing protections: security headers, the session cookie and CSRF tokens.

* Every HTML response gets a strict ``Content-Security-Policy`` (scripts and styles only from
  this origin, no inline script, no plugins, no framing except the embed pages), plus
  ``X-Content-Type-Options``, ``Referrer-Policy`` and ``X-Frame-Options``.
* The session is an API token (:func:`credstack.platform.accounts.create_token`) kept in an
  ``HttpOnly``, ``SameSite=Lax`` cookie (``Secure`` on https deployments); signing out revokes it.
* CSRF: a signed double-submit token.  Each browser gets a random, ``HttpOnly`` cookie; every
  form carries ``HMAC-SHA256(web key, cookie)``, which a page on another site can neither read
  nor compute.  Every state-changing form post is checked (:func:`check_csrf`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credstack.errors import PermissionDenied

__all__ = [
    "CSP",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "EMBED_CSP",
    "SESSION_COOKIE",
    "SecurityHeadersMiddleware",
    "check_csrf",
    "csrf_cookie_value",
    "csrf_token",
]

SESSION_COOKIE = "credstack_session"
CSRF_COOKIE = "credstack_csrf"
CSRF_FIELD = "csrf"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: the embeddable credential card may be framed by any site; nothing else is relaxed
EMBED_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors *")

_EMBED_PREFIX = b"/embed/"


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTML response (JSON APIs keep their own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        embed = str(scope.get("path", "")).encode().startswith(_EMBED_PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if kind.startswith(b"text/html"):
                    names = {k.lower() for k, _ in headers}
                    extra = [
                        (b"content-security-policy", (EMBED_CSP if embed else CSP).encode()),
                        (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"strict-origin-when-cross-origin"),
                        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                    ]
                    if not embed:
                        extra.append((b"x-frame-options", b"DENY"))
                    headers += [(k, v) for k, v in extra if k not in names]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_cookie_value(request: Request) -> str | None:
    value = request.cookies.get(CSRF_COOKIE)
    if value is None or not 20 <= len(value) <= 100:
        return None
    return value


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(key: bytes, cookie: str) -> str:
    return hmac.new(key, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def check_csrf(key: bytes, request: Request, submitted: str | None) -> None:
    """:class:`PermissionDenied` unless ``submitted`` is the token for this browser's cookie."""
    cookie = csrf_cookie_value(request)
    if cookie is None or not submitted:
        raise PermissionDenied(
            "this form has expired or was sent from another site; reload the page and try again"
        )
    if not hmac.compare_digest(csrf_token(key, cookie), submitted):
        raise PermissionDenied(
            "this form has expired or was sent from another site; reload the page and try again"
        )
