"""The wallet's own key for a learner who has no DID: a did:key the wallet holds for them.

The Ed25519 seed is sealed with the deployment's key-encryption key (AES-GCM through
:meth:`credstack.platform.keys.KeyCustody.seal`); the associated data of the seal is the
key's DID (:attr:`LearnerKey.did`), so a sealed seed cannot be passed off as another learner's.
"""

from __future__ import annotations

from datetime import datetime

from credstack.crypto.keys import KeyPair
from credstack.errors import Conflict
from credstack.platform.keys import KeyCustody
from credstack.platform.wallet import LearnerKey, WalletStore

__all__ = ["new_learner_key", "wallet_did"]


def new_learner_key(custody: KeyCustody, user_id: str, *, at: datetime) -> LearnerKey:
    """A fresh did:key for ``user_id``, its seed sealed (not stored yet)."""
    pair = KeyPair.generate()
    did = pair.did_key
    sealed, kek_id = custody.seal(pair.seed, did)
    return LearnerKey(user_id=user_id, did=did, sealed_seed=sealed, kek_id=kek_id, created_at=at)


def wallet_did(
    store: WalletStore, custody: KeyCustody, user_id: str, *, at: datetime
) -> tuple[LearnerKey, bool]:
    """The learner's wallet-held key, made now if there is none; and whether it is new
    (then it is stored already)."""
    found = store.key_for(user_id)
    if found is not None:
        return found, False
    key = new_learner_key(custody, user_id, at=at)
    try:
        store.add_key(key)
    except Conflict:  # another request made one first: use that one
        existing = store.key_for(user_id)
        if existing is None:
            raise
        return existing, False
    return key, True
