"""The learner's wallet: credentials a learner holds, how each is shared, collections, the
public portfolio profile, employers' views of it, and the wallet's own DID key.

A wallet item keeps the credential's exact text as received (it is verified again whenever it
is shown).  Visibility is per credential:

* ``public``: on the learner's portfolio and at its share link;
* ``link``: only at its share link (not listed on the portfolio);
* ``private``: nowhere; its old share link answers "withheld by its owner" (never an error).

Employers find learners only when the learner opted in (:attr:`PortfolioProfile.searchable`), and
only through their public and link-only credentials; every such look is recorded as a
:class:`ProfileView` that the learner sees, and withdrawing removes them from search at once.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from credstack.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "MAX_COLLECTION_NAME",
    "MAX_ITEMS",
    "Collection",
    "LearnerKey",
    "PortfolioProfile",
    "ProfileView",
    "Skill",
    "Visibility",
    "WalletItem",
    "WalletStore",
    "check_handle",
    "describe_credential",
    "new_item",
    "new_share_code",
]

MAX_ITEMS = 5_000  # credentials in one wallet
MAX_COLLECTION_NAME = 120
MAX_CREDENTIAL_BYTES = 1_048_576
_HANDLE = re.compile(r"[a-z0-9][a-z0-9-]{1,38}[a-z0-9]\Z")


class Visibility(StrEnum):
    PUBLIC = "public"
    LINK = "link"
    PRIVATE = "private"


@dataclass(frozen=True, slots=True)
class Skill:
    """A skill a credential's achievement is aligned to (an OB 3.0 Alignment)."""

    name: str
    url: str | None = None
    framework: str | None = None


@dataclass(frozen=True, slots=True)
class WalletItem:
    id: str
    user_id: str
    credential_json: str  # the exact text received
    credential_id: str | None  # the credential's own id, when it has one
    issuer_id: str
    issuer_name: str
    achievement_name: str
    issued_at: datetime | None
    source: str  # claim | file | url | png | svg | json
    added_at: datetime
    share_code: str  # random; names the share link /c/{share_code}
    visibility: Visibility = Visibility.PRIVATE
    skills: tuple[Skill, ...] = ()

    @property
    def credential(self) -> dict[str, Any]:
        value = json.loads(self.credential_json)
        assert isinstance(value, dict)
        return value


@dataclass(frozen=True, slots=True)
class Collection:
    id: str
    user_id: str
    name: str
    created_at: datetime
    item_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PortfolioProfile:
    user_id: str
    handle: str  # the portfolio address /u/{handle}
    display_name: str
    headline: str = ""
    searchable: bool = False  # opted in to employers' skill search
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProfileView:
    id: str
    learner_user_id: str
    viewer_user_id: str
    viewer_label: str  # who looked, as shown to the learner (the employer's account e-mail)
    query: str  # the skills asked for
    at: datetime


@dataclass(frozen=True, slots=True)
class LearnerKey:
    """A did:key the wallet made for a learner who has no DID of their own (sealed seed)."""

    user_id: str
    did: str
    sealed_seed: bytes
    kek_id: str
    created_at: datetime


class WalletStore(Protocol):
    """Where wallets live (memory or the SQL database)."""

    def add_item(self, item: WalletItem) -> None: ...
    def get_item(self, item_id: str) -> WalletItem | None: ...
    def item_by_share_code(self, code: str) -> WalletItem | None: ...
    def items_for(self, user_id: str) -> list[WalletItem]: ...
    def update_item(self, item: WalletItem) -> None: ...
    def delete_item(self, item_id: str) -> bool: ...
    def shared_items(self, user_ids: Sequence[str]) -> list[WalletItem]: ...

    def save_collection(self, collection: Collection) -> None: ...
    def collections_for(self, user_id: str) -> list[Collection]: ...
    def delete_collection(self, collection_id: str) -> bool: ...

    def get_profile(self, user_id: str) -> PortfolioProfile | None: ...
    def profile_by_handle(self, handle: str) -> PortfolioProfile | None: ...
    def save_profile(self, profile: PortfolioProfile) -> None: ...
    def searchable_profiles(self) -> list[PortfolioProfile]: ...

    def add_view(self, view: ProfileView) -> None: ...
    def views_for(self, learner_user_id: str) -> list[ProfileView]: ...

    def add_key(self, key: LearnerKey) -> None: ...
    def key_for(self, user_id: str) -> LearnerKey | None: ...


def new_share_code() -> str:
    return secrets.token_urlsafe(12)


def check_handle(handle: str) -> str:
    handle = handle.strip().lower()
    if not _HANDLE.match(handle):
        raise InvalidInput(
            "a portfolio address is 3 to 40 lower-case letters, digits and hyphens, "
            "not starting or ending with a hyphen"
        )
    return handle


def _text(value: Any) -> str | None:
    """A display string from an OB value (a string or a language map's first string)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for candidate in value.values():
            if isinstance(candidate, str):
                return candidate
    return None


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


@dataclass(frozen=True, slots=True)
class CredentialFacts:
    """What a wallet lists about a credential (read from it, not trusted: it is verified
    separately)."""

    credential_id: str | None
    issuer_id: str
    issuer_name: str
    achievement_name: str
    issued_at: datetime | None
    skills: tuple[Skill, ...] = field(default_factory=tuple)


def describe_credential(credential: Mapping[str, Any]) -> CredentialFacts:
    """The facts a wallet shows; :class:`InvalidInput` when it is not an Open Badges 3.0 (or
    VC 2.0) credential shape."""
    from credstack.proofs.dataintegrity import parse_datetime

    types = _types(credential.get("type"))
    if "VerifiableCredential" not in types:
        raise InvalidInput("this is not a verifiable credential (its type lacks it)")
    issuer = credential.get("issuer")
    issuer_id = issuer if isinstance(issuer, str) else None
    issuer_name = None
    if isinstance(issuer, Mapping):
        issuer_id = issuer.get("id") if isinstance(issuer.get("id"), str) else None
        issuer_name = _text(issuer.get("name"))
    if not issuer_id:
        raise InvalidInput("the credential names no issuer")
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    name = _text(achievement.get("name")) if isinstance(achievement, Mapping) else None
    name = name or _text(credential.get("name")) or "Credential"
    skills: list[Skill] = []
    alignments = achievement.get("alignment") if isinstance(achievement, Mapping) else None
    for entry in alignments if isinstance(alignments, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("targetName"), str):
            url = entry.get("targetUrl")
            framework = entry.get("targetFramework")
            skills.append(
                Skill(
                    entry["targetName"][:300],
                    url if isinstance(url, str) else None,
                    framework if isinstance(framework, str) else None,
                )
            )
    issued_at = None
    for key in ("validFrom", "issuanceDate", "awardedDate"):
        value = credential.get(key)
        if isinstance(value, str):
            try:
                issued_at = parse_datetime(value)
            except Exception:  # a malformed date is shown as unknown; verification reports it
                issued_at = None
            break
    credential_id = credential.get("id")
    return CredentialFacts(
        credential_id if isinstance(credential_id, str) else None,
        issuer_id,
        (issuer_name or issuer_id)[:300],
        name[:300],
        issued_at,
        tuple(skills[:100]),
    )


def new_item(
    store: WalletStore,
    user_id: str,
    credential_text: str,
    *,
    source: str,
    at: datetime,
    visibility: Visibility = Visibility.PRIVATE,
) -> WalletItem:
    """Add a credential (its exact text) to a learner's wallet.  The same credential id twice
    is :class:`Conflict`; a wallet holds at most :data:`MAX_ITEMS`."""
    if len(credential_text.encode()) > MAX_CREDENTIAL_BYTES:
        raise InvalidInput("the credential is over 1 MB")
    try:
        credential = json.loads(credential_text)
    except ValueError as exc:
        raise InvalidInput("the credential is not JSON") from exc
    if not isinstance(credential, dict):
        raise InvalidInput("the credential is not a JSON object")
    facts = describe_credential(credential)
    held = store.items_for(user_id)
    if len(held) >= MAX_ITEMS:
        raise InvalidInput(f"a wallet holds at most {MAX_ITEMS} credentials")
    if facts.credential_id is not None and any(
        i.credential_id == facts.credential_id for i in held
    ):
        raise Conflict("this credential is in your wallet already")
    item = WalletItem(
        id=str(uuid.uuid4()),
        user_id=user_id,
        credential_json=credential_text,
        credential_id=facts.credential_id,
        issuer_id=facts.issuer_id,
        issuer_name=facts.issuer_name,
        achievement_name=facts.achievement_name,
        issued_at=facts.issued_at,
        source=source,
        added_at=at,
        share_code=new_share_code(),
        visibility=visibility,
        skills=facts.skills,
    )
    store.add_item(item)
    return item


def owned_item(store: WalletStore, user_id: str, item_id: str) -> WalletItem:
    """The learner's own item; another learner's reads as missing."""
    item = store.get_item(item_id)
    if item is None or item.user_id != user_id:
        raise NotFound("no such credential in your wallet")
    return item


def set_visibility(
    store: WalletStore, user_id: str, item_id: str, visibility: Visibility
) -> WalletItem:
    item = replace(owned_item(store, user_id, item_id), visibility=visibility)
    store.update_item(item)
    return item
