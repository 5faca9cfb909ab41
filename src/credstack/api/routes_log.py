"""The transparency log over HTTP: tree head, proofs, leaves for mirrors, witness cosignatures.

Public and unauthenticated (the log holds hashes only; ``GET /log/anchors`` lists where tree
heads were anchored on a public chain); ``POST /log/cosignatures`` is
authenticated by the cosignature itself, from a witness key configured in
``create_app(witnesses=...)``.  Formats: docs/transparency-log.md ("HTTP endpoints").
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from credstack.api.context import AppContext, Ctx
from credstack.errors import ConfigurationError, Conflict, InvalidInput, InvalidState, NotFound
from credstack.log.note import COSIGNATURE_V1, NoteVerifier
from credstack.platform import translog
from credstack.platform.ports import UnitOfWork

__all__ = ["router", "witness_verifiers"]

router = APIRouter(prefix="/log", tags=["transparency log"])
HEAD_MAX_AGE = 10  # the tree head moves with every issuance; witnesses add cosignatures
IMMUTABLE = "public, max-age=31536000, immutable"
T = TypeVar("T")


def witness_verifiers(witnesses: Iterable[NoteVerifier | str]) -> tuple[NoteVerifier, ...]:
    """Witness keys from configuration: :class:`NoteVerifier` objects or C2SP verifier key
    strings ``<name>+<key ID>+<base64(0x04 || public key)>`` (cosignature keys only)."""
    out: list[NoteVerifier] = []
    for witness in witnesses:
        try:
            verifier = (
                witness if isinstance(witness, NoteVerifier) else NoteVerifier.from_vkey(witness)
            )
        except InvalidInput as exc:
            raise ConfigurationError(f"bad witness key: {exc.message}") from exc
        if verifier.sig_type != COSIGNATURE_V1:
            raise ConfigurationError(
                f"witness key {verifier.name!r} is not a cosignature (type 0x04) key"
            )
        out.append(verifier)
    return tuple(out)


def _witnesses(request: Request) -> tuple[NoteVerifier, ...]:
    found = getattr(request.app.state, "log_witnesses", ())
    return tuple(found)


@contextmanager
def _platform_identity() -> Iterator[None]:
    try:
        yield
    except InvalidState:
        raise NotFound("this server has no platform identity (log key) yet") from None


def _with_head(ctx: AppContext, read: Callable[[UnitOfWork], T]) -> T:
    """Run ``read`` in a unit of work that may sign a new checkpoint; two requests signing
    the same tree size at once clash on commit, and the later one reads the stored one."""
    for attempt in (1, 2):
        try:
            with _platform_identity(), ctx.work() as uow:
                return read(uow)
        except Conflict:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@router.get(
    "/checkpoint",
    summary="The latest signed tree head (C2SP checkpoint) with witness cosignatures",
    response_class=PlainTextResponse,
)
def checkpoint(ctx: Ctx) -> PlainTextResponse:
    def read(uow: UnitOfWork) -> str:
        head = translog.sign_checkpoint_now(uow, ctx.custody, ctx.host, ctx.clock())
        return translog.checkpoint_text(uow, head)

    text = _with_head(ctx, read)
    return PlainTextResponse(
        text,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": f"public, max-age={HEAD_MAX_AGE}"},
    )


def _digest(value: str) -> bytes:
    try:
        digest = bytes.fromhex(value)
    except ValueError:
        raise InvalidInput("hash is a SHA-256 digest in hexadecimal (64 digits)") from None
    if len(digest) != 32:
        raise InvalidInput("hash is a SHA-256 digest in hexadecimal (64 digits)")
    return digest


@router.get("/proof/inclusion", summary="Inclusion proof of a credential (by id or digest)")
def inclusion(
    ctx: Ctx,
    credential: Annotated[
        str | None, Query(max_length=2048, description="credential id (its issuance leaf)")
    ] = None,
    digest_hex: Annotated[
        str | None,
        Query(
            alias="hash",
            max_length=64,
            description="hex SHA-256 event digest (credential_digest, …)",
        ),
    ] = None,
    size: Annotated[
        int | None, Query(ge=1, description="tree size of a signed checkpoint (default: latest)")
    ] = None,
) -> JSONResponse:
    if (credential is None) == (digest_hex is None):
        raise InvalidInput("give exactly one of credential= and hash=")
    digest = None if digest_hex is None else _digest(digest_hex)

    def read(uow: UnitOfWork) -> dict[str, Any]:
        proof = translog.inclusion_proof(
            uow,
            ctx.custody,
            ctx.host,
            ctx.clock(),
            credential_id=credential,
            digest=digest,
            size=size,
        )
        return proof.to_json()

    body = _with_head(ctx, read)
    # a proof at a named size never changes (but witnesses may still add cosignatures)
    age = 3600 if size is not None else HEAD_MAX_AGE
    return JSONResponse(body, headers={"Cache-Control": f"public, max-age={age}"})


@router.get("/proof/consistency", summary="Consistency proof between two tree sizes")
def consistency(
    ctx: Ctx,
    size1: Annotated[int, Query(alias="from", ge=1)],
    size2: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> JSONResponse:
    def read(uow: UnitOfWork) -> dict[str, Any]:
        to_text: str | None
        if size2 is None:
            head = translog.sign_checkpoint_now(uow, ctx.custody, ctx.host, ctx.clock())
            to, to_text = head.size, translog.checkpoint_text(uow, head)
        else:
            to = size2
            stored = uow.log.checkpoint(to)
            to_text = None if stored is None else translog.checkpoint_text(uow, stored)
        proof = translog.consistency_proof(uow, size1, to)
        earlier = uow.log.checkpoint(size1)
        return {
            "from": size1,
            "to": to,
            "proof": [_b64(h) for h in proof],
            "from_checkpoint": None if earlier is None else translog.checkpoint_text(uow, earlier),
            "to_checkpoint": to_text,
        }

    body = _with_head(ctx, read)
    cache = IMMUTABLE if size2 is not None else f"public, max-age={HEAD_MAX_AGE}"
    return JSONResponse(body, headers={"Cache-Control": cache})


@router.get("/anchors", summary="Public-chain anchors of tree heads, newest first")
def anchors(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=translog.MAX_ANCHORS_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> JSONResponse:
    with ctx.work() as uow:
        records = translog.anchor_page(uow, limit=limit, offset=offset)
    body = {"limit": limit, "offset": offset, "anchors": [r.to_json() for r in records]}
    return JSONResponse(body, headers={"Cache-Control": f"public, max-age={HEAD_MAX_AGE}"})


@router.get("/leaves", summary="A range of leaves, for mirrors (at most 1,000)")
def leaves(
    ctx: Ctx,
    start: Annotated[int, Query(ge=0)],
    end: Annotated[int, Query(ge=1, description="exclusive; cut at the tree size")],
) -> JSONResponse:
    with ctx.work() as uow:
        entries = translog.leaf_range(uow, start, end)
        size = uow.log.size()
    body = {
        "start": start,
        "end": start + len(entries),
        "tree_size": size,
        "leaves": [_b64(e.leaf) for e in entries],
    }
    complete = start + len(entries) == end  # leaves never change once written
    cache = IMMUTABLE if complete else f"public, max-age={HEAD_MAX_AGE}"
    return JSONResponse(body, headers={"Cache-Control": cache})


class CosignatureSubmission(BaseModel):
    """A witness's cosignature line on the checkpoint of ``size``."""

    model_config = ConfigDict(extra="forbid")

    size: int = Field(ge=0)
    cosignature: str = Field(max_length=1024, description="'— <witness name> <base64>'")


@router.post("/cosignatures", summary="A configured witness submits its cosignature")
def submit_cosignature(
    ctx: Ctx, request: Request, submission: CosignatureSubmission
) -> dict[str, Any]:
    witnesses = _witnesses(request)
    with ctx.work() as uow:
        stored = translog.accept_cosignature(
            uow, submission.size, submission.cosignature, witnesses, ctx.clock()
        )
    return {"size": stored.size, "witness": stored.witness, "cosignature": stored.line}
