"""credstack's web pages: issuer console, learner wallet, public pages, verifier, employers.

:func:`install_web` adds them to the API application built by
:func:`credstack.api.app.create_app`.  Pages live beside the JSON API; they never change
what an API route answers to an API client.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from credstack.api.context import AppContext
from credstack.platform.wallet import WalletStore
from credstack.web import errors
from credstack.web.core import HERE, WebState, make_environment
from credstack.web.routes_auth import router as auth_router
from credstack.web.routes_console import router as console_router
from credstack.web.routes_employer import router as employer_router
from credstack.web.routes_exports import router as exports_router
from credstack.web.routes_relevance import router as relevance_router
from credstack.web.routes_share import router as share_router
from credstack.web.routes_trust import router as trust_router
from credstack.web.routes_verify import router as verify_router
from credstack.web.routes_wallet import router as wallet_router
from credstack.web.security import SecurityHeadersMiddleware

__all__ = ["install_web"]


def _wallet_store(database: object) -> WalletStore:
    """Wallets live in the same database as everything else."""
    from credstack.storage.session import SqlDatabase

    if isinstance(database, SqlDatabase):
        from credstack.storage.wallet_sql import SqlWalletStore

        return SqlWalletStore(database)
    from credstack.storage.wallet_memory import MemoryWalletStore

    return MemoryWalletStore()


def install_web(app: FastAPI, *, wallet: WalletStore | None = None) -> None:
    ctx = app.state.credstack
    assert isinstance(ctx, AppContext)
    app.state.web = WebState(
        env=make_environment(),
        key=ctx.custody.derive("web-csrf"),
        secure_cookies=ctx.base_url.startswith("https://"),
        wallet=wallet if wallet is not None else _wallet_store(ctx.database),
    )
    errors.install(app)
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(auth_router)
    app.include_router(employer_router)
    app.include_router(relevance_router)
    app.include_router(console_router)
    app.include_router(verify_router)
    app.include_router(wallet_router)
    app.include_router(share_router)
    app.include_router(exports_router)
    app.include_router(trust_router)
