"""Importing a credential into the wallet: from a file (JSON, or a baked PNG or SVG), pasted
JSON, or a URL.

A URL is fetched only through :class:`credstack.resolve.fetch.GuardedFetcher` (https only,
public addresses only, bounded size and time).  Whatever the source, the credential is verified
before it is added: one that does not verify is refused with its report, and one already in the
wallet is refused as a duplicate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credstack import baking
from credstack._json import parse_json_object
from credstack.api.context import AppContext
from credstack.errors import InvalidInput
from credstack.platform.wallet import (
    MAX_CREDENTIAL_BYTES,
    WalletItem,
    WalletStore,
    describe_credential,
    new_item,
)
from credstack.resolve.base import Fetcher
from credstack.resolve.fetch import GuardedFetcher
from credstack.web.wallet_verify import Checked, Verdict, check_documents

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_URL_LENGTH",
    "ImportRefused",
    "Incoming",
    "import_credential",
    "read_file",
    "read_pasted",
    "read_url",
    "url_fetcher",
]

#: the largest file (or fetched body) the wallet imports
MAX_IMPORT_BYTES = 5 * 1_048_576
MAX_URL_LENGTH = 2048
_ACCEPT = "application/ld+json, application/json, image/png, image/svg+xml;q=0.9"


@dataclass(frozen=True, slots=True)
class Incoming:
    """A credential read from an import source: its JSON text and where it came from."""

    text: str
    source: str  # file | json | png | svg | url


class ImportRefused(InvalidInput):
    """The credential did not verify; :attr:`checked` holds the report, :attr:`document` the
    credential."""

    def __init__(self, checked: Checked, document: dict[str, Any]) -> None:
        reason = checked.reason or "it did not verify"
        super().__init__(f"this credential is not valid, so it was not added: {reason}")
        self.checked = checked
        self.document = document


def _from_image(data: bytes, kind: str) -> Incoming:
    credential, _bundle = baking.extract(data)
    if isinstance(credential, str):
        raise InvalidInput(
            "the image holds a credential signed as a JWT (VC-JWT); the wallet keeps credentials "
            "with an embedded proof (JSON) only"
        )
    return Incoming(json.dumps(credential, ensure_ascii=False), kind)


def _from_json(data: bytes | str, source: str) -> Incoming:
    text = data.decode("utf-8", "strict") if isinstance(data, bytes) else data
    parse_json_object(text, what="the credential", max_bytes=MAX_CREDENTIAL_BYTES)
    return Incoming(text.strip(), source)


def read_file(data: bytes, *, source: str = "file") -> Incoming:
    """A credential from a file's bytes: a baked PNG or SVG, else JSON."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"the file is over the limit of {MAX_IMPORT_BYTES // 1_048_576} MB")
    if baking.is_png(data):
        return _from_image(data, "png")
    if baking.is_svg(data):
        return _from_image(data, "svg")
    try:
        return _from_json(data, source)
    except UnicodeDecodeError:
        raise InvalidInput(
            "the file is neither a JSON credential nor a baked PNG or SVG badge"
        ) from None


def read_pasted(text: str) -> Incoming:
    if not text.strip():
        raise InvalidInput("paste the credential's JSON")
    return _from_json(text, "json")


def url_fetcher() -> GuardedFetcher:
    """The fetcher for URL imports: https to public addresses, 5 MB, 15 seconds in all."""
    return GuardedFetcher(
        max_bytes=MAX_IMPORT_BYTES,
        max_redirects=3,
        connect_timeout=5.0,
        read_timeout=10.0,
        total_timeout=15.0,
    )


def read_url(url: str, fetcher: Fetcher) -> Incoming:
    """A credential fetched from ``url`` (JSON, or a baked PNG or SVG)."""
    url = url.strip()
    if not url:
        raise InvalidInput("give the credential's address")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"the address is longer than {MAX_URL_LENGTH} characters")
    body = fetcher.fetch(url, accept=_ACCEPT)  # FetchError names what was refused
    found = read_file(body, source="url")
    return Incoming(found.text, "url")


def import_credential(
    ctx: AppContext, store: WalletStore, user_id: str, incoming: Incoming, *, at: datetime
) -> tuple[WalletItem, Checked]:
    """Verify ``incoming`` and add it to the wallet.  :class:`ImportRefused` when it does not
    verify; :class:`credstack.errors.Conflict` when it is in the wallet already."""
    document: dict[str, Any] = json.loads(incoming.text)
    describe_credential(document)  # not a credential at all: say so before verifying
    checked = check_documents(ctx, [document])[0]
    if checked.verdict is not Verdict.VALID:
        raise ImportRefused(checked, document)
    item = new_item(store, user_id, incoming.text, source=incoming.source, at=at)
    return item, checked
