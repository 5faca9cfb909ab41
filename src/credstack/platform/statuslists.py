"""Revocation and suspension with W3C Bitstring Status Lists.

Each organisation has lists of 131,072 entries, for one purpose each: ``revocation`` (every
credential; a set bit is final) and ``suspension`` (credentials of a suspendable achievement
only; the bit is set while suspended and cleared when reinstated).  Indexes are handed out in
a keyed pseudo-random order (a Feistel permutation of ``0 .. size-1`` under the list's secret
seed, walked with a counter), so neighbouring credentials get unrelated indexes and the list
reveals nothing about issuance order, while allocation stays O(1) with no collision checks.
A list is published as a signed ``BitstringStatusListCredential`` at a stable URL; revoking or
suspending sets a bit and never edits the credential.
"""

from __future__ import annotations

import hmac
import os
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from credstack.crypto.keys import KeyPair
from credstack.errors import InvalidState, NotFound
from credstack.platform.domain import Organisation, StatusList
from credstack.platform.ports import UnitOfWork
from credstack.proofs.dataintegrity import add_proof, format_datetime
from credstack.statuslist import MIN_LIST_BITS, encode_list, read_status, set_status

REVOCATION = "revocation"
SUSPENSION = "suspension"
LIST_SIZE = MIN_LIST_BITS  # 131,072 entries = 16 KiB


def permuted_index(seed: bytes, counter: int, size: int) -> int:
    """The ``counter``-th index of a keyed pseudo-random permutation of ``range(size)``.

    A 4-round balanced Feistel network over the smallest even number of bits covering
    ``size``, with HMAC-SHA256 as round function, and cycle-walking back into range.
    """
    if not 0 <= counter < size:
        raise InvalidState(f"status list counter {counter} is outside 0..{size - 1}")
    bits = max(2, (size - 1).bit_length())
    bits += bits % 2
    half = bits // 2
    mask = (1 << half) - 1
    value = counter
    while True:
        left, right = value >> half, value & mask
        for round_ in range(4):
            digest = hmac.digest(seed, bytes([round_]) + right.to_bytes(4, "big"), "sha256")
            left, right = right, left ^ (int.from_bytes(digest[:4], "big") & mask)
        value = (left << half) | right
        if value < size:
            return value


def new_status_list(
    organisation: Organisation, at: datetime, *, purpose: str = REVOCATION
) -> StatusList:
    return StatusList(
        id=str(uuid.uuid4()),
        organisation_id=organisation.id,
        purpose=purpose,
        size=LIST_SIZE,
        bits=bytes(LIST_SIZE // 8),
        allocated=0,
        version=1,
        updated_at=at,
        index_seed=os.urandom(32),
    )


def allocate_entries(
    uow: UnitOfWork,
    organisation: Organisation,
    at: datetime,
    count: int,
    *,
    purpose: str = REVOCATION,
) -> list[tuple[StatusList, int]]:
    """``count`` fresh entries (list, index) for new credentials, with one write per list
    touched; a new list is opened whenever one is full."""
    out: list[tuple[StatusList, int]] = []
    while len(out) < count:
        current = uow.status_lists.open_list(organisation.id, purpose)
        if current is None:
            current = new_status_list(organisation, at, purpose=purpose)
            uow.status_lists.add(current)
        take = min(count - len(out), current.size - current.allocated)
        updated = replace(
            current,
            allocated=current.allocated + take,
            version=current.version + 1,
            updated_at=at,
        )
        uow.status_lists.update(updated, expected_version=current.version)
        seed, size = current.index_seed, current.size
        out.extend(
            (updated, permuted_index(seed, n, size))
            for n in range(current.allocated, current.allocated + take)
        )
    return out


def allocate_entry(
    uow: UnitOfWork, organisation: Organisation, at: datetime, *, purpose: str = REVOCATION
) -> tuple[StatusList, int]:
    """A fresh entry (list, index) for one new credential."""
    return allocate_entries(uow, organisation, at, 1, purpose=purpose)[0]


def set_entry(
    uow: UnitOfWork, status_list_id: str, index: int, value: int, at: datetime
) -> StatusList:
    current = uow.status_lists.get(status_list_id)
    if current is None:
        raise NotFound(f"no status list {status_list_id}")
    bits = bytearray(current.bits)
    set_status(bits, index, value)
    updated = replace(current, bits=bytes(bits), version=current.version + 1, updated_at=at)
    uow.status_lists.update(updated, expected_version=current.version)
    return updated


def entry_value(status_list: StatusList, index: int) -> int:
    return read_status(status_list.bits, index)


def status_list_url(base_url: str, organisation: Organisation, status_list_id: str) -> str:
    return f"{base_url.rstrip('/')}/orgs/{organisation.slug}/status/{status_list_id}"


def status_entry(url: str, index: int, purpose: str = REVOCATION) -> dict[str, Any]:
    """The ``credentialStatus`` of a credential: its ``id`` is ``<list URL>#<index>``."""
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def status_list_credential(
    organisation: Organisation,
    status_list: StatusList,
    key: KeyPair,
    *,
    url: str,
    at: datetime,
    ttl_ms: int = 300_000,
) -> dict[str, Any]:
    """The signed BitstringStatusListCredential for the list as it is now."""
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": organisation.did,
        "validFrom": format_datetime(at),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": encode_list(status_list.bits),
            "ttl": ttl_ms,
        },
    }
    return add_proof(unsigned, key, created=at)
