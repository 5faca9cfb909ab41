"""What every web page needs: templates, the signed-in user, forms with CSRF checks, and
HTML error pages.

Pages are server-rendered Jinja2 templates (autoescaped: every user string is escaped) that
work without JavaScript; ``/static/credstack.js`` only enhances them (progress bars, copy
buttons).  Page handlers are thin: they call the platform layer and render its results.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData, UploadFile

from credstack.api.context import AppContext, get_context
from credstack.errors import CredstackError, InvalidInput, Unauthenticated
from credstack.platform.accounts import Principal, authenticate
from credstack.platform.domain import UserKind
from credstack.platform.wallet import WalletStore
from credstack.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    check_csrf,
    csrf_cookie_value,
    csrf_token,
    new_csrf_cookie,
)

__all__ = [
    "SESSION_LIFETIME",
    "Web",
    "WebState",
    "current",
    "form",
    "redirect",
    "render",
    "require",
    "upload_bytes",
    "web_state",
]

log = logging.getLogger("credstack.web")
HERE = Path(__file__).parent
SESSION_LIFETIME = timedelta(hours=12)
#: the largest form a page accepts without a file (bulk uploads and images have their own)
MAX_FORM_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class WebState:
    """The web layer's configuration, kept on ``app.state.web``."""

    env: Environment
    key: bytes  # CSRF token key, derived from the KEK
    secure_cookies: bool  # https deployments: cookies carry Secure
    wallet: WalletStore  # learners' wallets, portfolios and employers' views


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = _date
    env.filters["datetime"] = _datetime
    env.filters["urlpart"] = lambda value: quote(str(value), safe="")
    return env


def _date(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%-d %B %Y")


def _datetime(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%-d %B %Y, %H:%M UTC")


def web_state(request: Request) -> WebState:
    state = request.app.state.web
    assert isinstance(state, WebState)
    return state


@dataclass(frozen=True, slots=True)
class Web:
    """The request, the platform context and the web state, for one page handler."""

    request: Request
    ctx: AppContext
    state: WebState

    @property
    def now(self) -> datetime:
        return self.ctx.clock()


def _web(request: Request, ctx: Annotated[AppContext, Depends(get_context)]) -> Web:
    request.scope["credstack.web"] = True  # errors from here on render as HTML pages
    return Web(request, ctx, web_state(request))


WebDep = Annotated[Web, Depends(_web)]


def current(web: Web) -> Principal | None:
    """The signed-in caller, if the session cookie holds a live token."""
    secret = web.request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    try:
        with web.ctx.work() as uow:
            return authenticate(uow, secret, at=web.now)
    except Unauthenticated:
        return None


def require(web: Web, *kinds: UserKind) -> Principal:
    """The signed-in caller of one of ``kinds`` (any kind when none is given); otherwise
    :class:`Unauthenticated`, which a page answers with a redirect to sign in."""
    principal = current(web)
    if principal is None:
        raise Unauthenticated("sign in to see this page")
    if kinds and principal.user.kind not in kinds:
        from credstack.errors import PermissionDenied

        names = " or ".join(k.value for k in kinds)
        raise PermissionDenied(f"this page is for {names} accounts")
    return principal


def _csrf_cookie(web: Web) -> tuple[str, bool]:
    """This browser's CSRF cookie, and whether it is new (to be set on the response)."""
    existing = csrf_cookie_value(web.request)
    if existing is not None:
        return existing, False
    fresh = web.request.scope.get("credstack.csrf")
    if isinstance(fresh, str):
        return fresh, True
    value = new_csrf_cookie()
    web.request.scope["credstack.csrf"] = value
    return value, True


def set_cookie(web: Web, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=web.state.secure_cookies,
        samesite="lax",
        path="/",
    )


def render(
    web: Web,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    principal: Principal | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` with ``context`` plus ``user``, ``csrf`` and ``base_url``."""
    cookie, fresh = _csrf_cookie(web)
    user = principal.user if principal is not None else None
    if principal is None and "user" not in (context or {}):
        found = current(web)
        user = found.user if found is not None else None
    values: dict[str, Any] = {
        "user": user,
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(web.state.key, cookie),
        "base_url": web.ctx.base_url,
        "path": web.request.url.path,
        "now": web.now,
    }
    values.update(context or {})
    body = web.state.env.get_template(template).render(values)
    response = HTMLResponse(body, status_code=status, headers=dict(headers or {}))
    if fresh:
        set_cookie(web, response, CSRF_COOKIE, cookie, max_age=60 * 60 * 24 * 30)
    if "cache-control" not in {k.lower() for k in (headers or {})}:
        response.headers["Cache-Control"] = "no-store" if user is not None else "no-cache"
    return response


def redirect(url: str, status: int = 303) -> RedirectResponse:
    return RedirectResponse(url, status_code=status)


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go to after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


async def form(web: Web, *, max_bytes: int = MAX_FORM_BYTES, max_files: int = 0) -> FormData:
    """The posted form, after its CSRF token was checked.  Bigger than ``max_bytes`` (as
    declared) is :class:`InvalidInput` before anything is read."""
    declared = web.request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise InvalidInput(f"the form is over the limit of {max_bytes // 1024} KiB")
    try:
        data = await web.request.form(max_files=max_files, max_fields=200, max_part_size=max_bytes)
    except CredstackError:
        raise
    except Exception as exc:  # a malformed multipart body
        raise InvalidInput("the form could not be read") from exc
    token = data.get(CSRF_FIELD)
    try:
        check_csrf(web.state.key, web.request, token if isinstance(token, str) else None)
    except CredstackError:
        await data.close()  # uploaded files of a refused form are not left open
        raise
    return data


def text(data: FormData, name: str, *, max_length: int = 10_000, required: bool = False) -> str:
    """A text field, stripped; :class:`InvalidInput` when required and empty or too long."""
    value = data.get(name)
    if value is None or isinstance(value, UploadFile):
        value = ""
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name.replace('_', ' ')} is required")
    if len(value) > max_length:
        raise InvalidInput(f"{name.replace('_', ' ')} is longer than {max_length} characters")
    return value


async def upload_bytes(data: FormData, name: str, *, max_bytes: int) -> bytes | None:
    """The bytes of an uploaded file field (None when no file was chosen), at most
    ``max_bytes``."""
    value = data.get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    content = await value.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise InvalidInput(f"the file is over the limit of {max_bytes // 1_048_576} MB")
    return content
