"""What every route needs: the database, key custody, the clock, and the caller."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Protocol
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from credstack.api.limits import Limits
from credstack.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from credstack.platform.accounts import Action, Principal, authenticate, authorise
from credstack.platform.domain import Organisation
from credstack.platform.keys import KeyCustody
from credstack.platform.notify import Mailer
from credstack.platform.ports import UnitOfWork
from credstack.platform.translog import Anchoring

log = logging.getLogger("credstack.api")

#: runs a job (a no-argument callable) somewhere: a thread by default, inline in tests
JobRunner = Callable[[Callable[[], None]], None]


class Database(Protocol):
    """What the API needs from storage (MemoryDatabase, SqlDatabase)."""

    def unit_of_work(self) -> UnitOfWork: ...


def thread_runner(job: Callable[[], None]) -> None:
    threading.Thread(target=job, name="credstack-job", daemon=True).start()


def inline_runner(job: Callable[[], None]) -> None:
    job()


@dataclass(frozen=True, slots=True)
class AppContext:
    database: Database
    custody: KeyCustody
    base_url: str
    clock: Callable[[], datetime]
    limits: Limits
    hasher: PasswordHasher
    run_job: JobRunner
    mailer: Mailer | None = None
    #: scheduled public-chain anchoring of the log (maintenance tick); None: off
    anchoring: Anchoring | None = None

    @property
    def host(self) -> str:
        """The did:web host (with its port) of this server's organisations."""
        return urlsplit(self.base_url).netloc

    @contextmanager
    def work(self) -> Iterator[UnitOfWork]:
        """One unit of work: committed when the block succeeds, rolled back otherwise."""
        uow = self.database.unit_of_work()
        try:
            yield uow
        except BaseException:
            try:
                uow.rollback()
            except Exception:  # the original error matters more
                log.warning("rollback failed", exc_info=True)
            raise
        uow.commit()

    def organisation(self, uow: UnitOfWork, slug: str) -> Organisation:
        found = uow.organisations.get_by_slug(slug)
        if found is None:
            raise NotFound(f"no organisation {slug!r}")
        return found

    def principal(
        self, uow: UnitOfWork, credentials: HTTPAuthorizationCredentials | None
    ) -> Principal:
        if credentials is None:
            raise Unauthenticated("this endpoint needs an 'Authorization: Bearer <token>' header")
        return authenticate(uow, credentials.credentials, at=self.clock())

    def member(
        self,
        uow: UnitOfWork,
        credentials: HTTPAuthorizationCredentials | None,
        slug: str,
        action: Action,
    ) -> tuple[Principal, Organisation]:
        """The authenticated caller and the organisation ``slug``, if it may do ``action``
        there: 401 without a valid token, 404 for an unknown organisation, 403 otherwise."""
        principal = self.principal(uow, credentials)
        organisation = self.organisation(uow, slug)
        authorise(uow, principal, organisation, action)
        return principal, organisation

    def page(self, limit: int, offset: int) -> tuple[int, int]:
        if not 1 <= limit <= self.limits.max_page_size or offset < 0:
            raise InvalidInput(
                f"limit is 1 to {self.limits.max_page_size} and offset is not negative"
            )
        return limit, offset


def get_context(request: Request) -> AppContext:
    ctx = request.app.state.credstack
    assert isinstance(ctx, AppContext)
    return ctx


bearer = HTTPBearer(auto_error=False, description="an API token: `Authorization: Bearer csk_…`")

Ctx = Annotated[AppContext, Depends(get_context)]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


@contextmanager
def foreign_as_missing(what: str) -> Iterator[None]:
    """A resource of another organisation is reported as absent: its existence is not told."""
    try:
        yield
    except PermissionDenied:
        raise NotFound(f"no such {what}") from None
