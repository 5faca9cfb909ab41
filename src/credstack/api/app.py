"""The credstack HTTP API: :func:`create_app` builds the FastAPI application.

Access rules (one organisation never acts as another):

* no or a bad token: 401 with ``WWW-Authenticate: Bearer``; expired and revoked tokens too;
* a caller without the needed role (or token scope) in the organisation named in the path:
  403 — organisations are public (their DID documents are), so naming one leaks nothing;
* an id (credential, achievement version, job) that belongs to another organisation: 404,
  exactly as if it did not exist.

``GET /.well-known/did.json`` is the platform's own ``did:web:<host>`` document (404 until
``credstack serve`` has made its first key).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from credstack.api import problems
from credstack.api.context import AppContext, Database, inline_runner, thread_runner
from credstack.api.limits import BodyLimitMiddleware, Limits
from credstack.api.routes_accounts import router as accounts_router
from credstack.api.routes_claims import install_mail_delivery
from credstack.api.routes_claims import router as claims_router
from credstack.api.routes_exports import router as exports_router
from credstack.api.routes_log import router as log_router
from credstack.api.routes_log import witness_verifiers
from credstack.api.routes_ob import router as ob_router
from credstack.api.routes_obclient import router as obclient_router
from credstack.api.routes_orgs import router as orgs_router
from credstack.api.routes_public import router as public_router
from credstack.api.routes_quality import router as quality_router
from credstack.api.routes_relevance import router as relevance_router
from credstack.api.routes_skills import router as skills_router
from credstack.api.routes_trust import router as trust_router
from credstack.api.routes_vcapi import router as vcapi_router
from credstack.errors import ConfigurationError
from credstack.log.note import NoteVerifier
from credstack.platform.accounts import default_hasher
from credstack.platform.keys import KeyCustody
from credstack.platform.notify import Mailer
from credstack.platform.translog import Anchoring
from credstack.skills.framework import ESCO_ATTRIBUTION, ONET_ATTRIBUTION

__all__ = ["Limits", "create_app"]

DOCS_ASSETS = "/docs/assets"


def _swagger_ui_path() -> Path | None:
    """The Swagger UI files of the ``swagger-ui-bundle-v2`` package, if installed."""
    try:
        module = importlib.import_module("swagger_ui_bundle")
    except ImportError:
        return None
    path = Path(str(module.swagger_ui_path))
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def _install_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI served from this app's own files (no CDN); without the bundle,
    a plain page listing the endpoints."""
    assets = _swagger_ui_path()
    if assets is not None:
        app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if assets is not None:
            return get_swagger_ui_html(
                openapi_url="/openapi.json",
                title="credstack API",
                swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            )
        rows = "".join(
            f"<li><code>{method} {path}</code></li>"
            for path, item in sorted(app.openapi()["paths"].items())
            for method in sorted(item)
        )
        return HTMLResponse(
            "<!doctype html><title>credstack API</title><h1>credstack API</h1>"
            f'<p><a href="/openapi.json">OpenAPI document</a></p><ul>{rows}</ul>'
        )


def create_app(
    *,
    database: Database,
    custody: KeyCustody,
    base_url: str,
    clock: Callable[[], datetime],
    limits: Limits | None = None,
    run_jobs_inline: bool = False,
    password_hasher: PasswordHasher | None = None,
    mailer: Mailer | None = None,
    witnesses: Sequence[NoteVerifier | str] = (),
    web: bool = True,
    anchoring: Anchoring | None = None,
) -> FastAPI:
    """The HTTP API over ``database``.

    ``base_url`` is the public https origin (its host names the did:web DIDs); ``clock``
    gives every request's time.  ``run_jobs_inline`` runs bulk jobs before the upload request
    returns (for tests) instead of in a background thread.  With a ``mailer``, the mail
    outbox (claim links) is delivered after every successful state-changing request.
    ``witnesses`` are the transparency-log witness keys (cosignature verifiers or their C2SP
    key strings) allowed to submit cosignatures; none by default.  ``web`` adds the web pages
    (:mod:`credstack.web`).  ``anchoring`` makes the maintenance tick anchor the log's tree
    heads on a public chain (:func:`credstack.platform.translog.anchor_if_due`); off by default.
    """
    if not base_url.startswith(("https://", "http://")):
        raise ConfigurationError(f"base_url {base_url!r} must be an http(s) URL")
    limits = limits or Limits()
    app = FastAPI(
        title="credstack",
        summary="Open Badges 3.0 issuing and verification: VC-API and management API",
        description=("Skills data: " + ESCO_ATTRIBUTION + " " + ONET_ATTRIBUTION),
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
    )
    app.state.credstack = AppContext(
        database=database,
        custody=custody,
        base_url=base_url.rstrip("/"),
        clock=clock,
        limits=limits,
        hasher=password_hasher or default_hasher(),
        run_job=inline_runner if run_jobs_inline else thread_runner,
        mailer=mailer,
        anchoring=anchoring,
    )
    app.state.log_witnesses = witness_verifiers(witnesses)
    problems.install(app)
    app.add_middleware(BodyLimitMiddleware, limits=limits)
    for router in (public_router, accounts_router, vcapi_router, orgs_router, claims_router):
        app.include_router(router)
    app.include_router(ob_router)
    app.include_router(obclient_router)
    app.include_router(skills_router)
    app.include_router(log_router)
    app.include_router(exports_router)
    app.include_router(trust_router)
    app.include_router(relevance_router)
    app.include_router(quality_router)
    if mailer is not None:
        install_mail_delivery(app, mailer)
    _install_docs(app)
    if web:
        from credstack.web import install_web

        install_web(app)
    return app
