"""The public verifier page: paste, upload or name a credential and see every check.

Three small forms post to ``POST /verify``: pasted JSON (or a compact JWS), an uploaded file
(credential or verification bundle JSON, or a badge image with the credential baked in) or a
web address, fetched only through :class:`~credstack.resolve.fetch.GuardedFetcher` (public
https addresses only; size and time bounded).  Verification is the platform's own
(:func:`credstack.web.verification.verify_input`), shown in plain language; nothing the
visitor gives is stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from credstack.errors import FetchError, InvalidInput
from credstack.resolve.base import Fetcher
from credstack.resolve.fetch import GuardedFetcher
from credstack.web.core import Web, WebDep, form, render, text, upload_bytes
from credstack.web.verification import MAX_INPUT_BYTES, Input, read_input, verify_input

router = APIRouter(include_in_schema=False)

#: a form carrying the largest input, with room for its multipart envelope
MAX_FORM_BYTES = MAX_INPUT_BYTES + 256 * 1024
MAX_URL = 2048
#: pasted text kept in the form after an error (bigger pastes are not echoed back)
_KEEP_PASTE = 256 * 1024
_LIMIT_TEXT = f"{MAX_INPUT_BYTES // 1_048_576} MB"
_ACCEPT = "application/json, application/ld+json, image/png, image/svg+xml, */*;q=0.1"


def _fetcher(web: Web) -> Fetcher:
    """The guarded fetcher (tests may put one allowing their loopback server on
    ``app.state.verify_fetcher``)."""
    configured = getattr(web.request.app.state, "verify_fetcher", None)
    if configured is not None:
        return configured  # type: ignore[no-any-return]
    return GuardedFetcher(
        max_bytes=MAX_INPUT_BYTES,
        max_redirects=3,
        connect_timeout=5.0,
        read_timeout=10.0,
        total_timeout=20.0,
        user_agent="credstack-verifier",
    )


def _form_page(
    web: Web, *, error: str | None = None, pasted: str = "", url: str = "", status: int = 200
) -> Response:
    context = {
        "error": error,
        "pasted": pasted if len(pasted) <= _KEEP_PASTE else "",
        "url": url,
        "limit": _LIMIT_TEXT,
        "max_url": MAX_URL,
    }
    return render(web, "verify/form.html", context, status=status)


@router.get("/verify", response_class=HTMLResponse)
def verify_page(web: WebDep, url: str | None = None) -> Response:
    """The form (``?url=`` fills in the address field; nothing is fetched before a POST)."""
    prefill = url if url is not None and len(url) <= MAX_URL else ""
    return _form_page(web, url=prefill)


async def _drain(web: Web) -> None:
    """Read (and drop) a body too big for this page, so the browser gets the answer instead
    of a reset connection; the body limit middleware bounds what is read."""
    async for _ in web.request.stream():
        pass


def _fetch(fetcher: Fetcher, url: str) -> bytes:
    try:
        return fetcher.fetch(url, accept=_ACCEPT)
    except FetchError as exc:
        if exc.code == "FETCH_REFUSED":
            raise InvalidInput(
                f"this address is not fetched: {exc.message}. Only public https addresses are "
                f"fetched (never private, loopback or link-local ones), up to {_LIMIT_TEXT}"
            ) from None
        raise InvalidInput(f"the address could not be fetched: {exc.message}") from None


async def _given(web: Web, data: Any, source: str) -> tuple[Input, str]:
    """What the chosen form gave, read; and how to name it on the result page."""
    if source == "paste":
        value = data.get("json")
        pasted = value.strip() if isinstance(value, str) else ""
        if len(pasted.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
            raise InvalidInput(f"the pasted text is over the limit of {_LIMIT_TEXT}")
        if not pasted:
            raise InvalidInput("paste a credential's JSON into the box first")
        return read_input(pasted, what="the pasted text"), "the pasted text"
    if source == "upload":
        try:
            content = await upload_bytes(data, "file", max_bytes=MAX_INPUT_BYTES)
        except InvalidInput:
            raise InvalidInput(f"the file is over the limit of {_LIMIT_TEXT}") from None
        if content is None:
            raise InvalidInput("choose a file to verify first")
        upload = data.get("file")
        name = upload.filename if isinstance(upload, UploadFile) and upload.filename else "file"
        return read_input(content, what="the file"), f"the file {name[:200]}"
    if source == "url":
        url = text(data, "url", max_length=MAX_URL)
        if not url:
            raise InvalidInput("enter the web address of a credential first")
        body = await run_in_threadpool(_fetch, _fetcher(web), url)
        return read_input(body, what="the document at that address"), url
    raise InvalidInput("choose how to give the credential: paste it, upload it or give its address")


@router.post("/verify", response_class=HTMLResponse)
async def verify_submit(web: WebDep) -> Response:
    declared = web.request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        await _drain(web)
        return _form_page(web, error=f"The file is over the limit of {_LIMIT_TEXT}.", status=413)
    data = await form(web, max_bytes=MAX_FORM_BYTES, max_files=1)
    source = text(data, "source", max_length=10)
    pasted, url = data.get("json"), data.get("url")
    kept = {
        "pasted": pasted if isinstance(pasted, str) else "",
        "url": url.strip()[:MAX_URL] if isinstance(url, str) else "",
    }
    try:
        try:
            given, label = await _given(web, data, source)
        finally:
            await data.close()  # the uploaded file's spooled copy
        view = await run_in_threadpool(verify_input, web.ctx, given)
    except InvalidInput as exc:
        message = exc.message[:1].upper() + exc.message[1:]
        return _form_page(web, error=f"Not verified. {message.rstrip('.')}.", status=400, **kept)
    context = {"report": view, "source": label, "source_kind": given.source}
    return render(web, "verify/result.html", context)
