"""credstack's web pages: issuer console, learner wallet, public pages, verifier, employers.

:func:`install_web` adds them to the API application built by
:func:`credstack.api.app.create_app`.  Pages live beside the JSON API; they never change
what an API route answers to an API client.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from credstack.api.context import AppContext
from credstack.web import errors
from credstack.web.core import HERE, WebState, make_environment
from credstack.web.routes_auth import router as auth_router
from credstack.web.security import SecurityHeadersMiddleware

__all__ = ["install_web"]


def install_web(app: FastAPI) -> None:
    ctx = app.state.credstack
    assert isinstance(ctx, AppContext)
    app.state.web = WebState(
        env=make_environment(),
        key=ctx.custody.derive("web-csrf"),
        secure_cookies=ctx.base_url.startswith("https://"),
    )
    errors.install(app)
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(auth_router)
