"""Verifying many credentials at once never leaves a status list unchecked."""

from __future__ import annotations

from typing import Any

from credstack.api.routes_vcapi import MAX_STATUS_LISTS
from credstack.web.wallet_verify import _batches


def _credential(n: int) -> dict[str, Any]:
    url = f"https://issuer{n}.example/status/list"
    return {
        "credentialStatus": {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListCredential": url,
            "statusListIndex": "7",
        }
    }


def test_batches_keep_status_lists_within_what_one_call_gathers() -> None:
    documents = [_credential(n) for n in range(MAX_STATUS_LISTS * 2 + 5)]
    documents += [_credential(0), {}]  # a repeat list and a credential with none
    batches = _batches(documents)
    groups = [g for g, _ in batches]
    assert sorted(i for g in groups for i in g) == list(range(len(documents)))
    assert len(groups) == 3
    for group, urls in batches:
        lists = {
            documents[i]["credentialStatus"]["statusListCredential"] for i in group if documents[i]
        }
        assert len(lists) <= MAX_STATUS_LISTS
        assert urls == lists
