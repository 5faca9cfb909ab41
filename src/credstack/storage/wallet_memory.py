""":class:`~credstack.platform.wallet.WalletStore` in memory (one process; lost on restart)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from credstack.errors import Conflict, NotFound
from credstack.platform.wallet import (
    Collection,
    LearnerKey,
    PortfolioProfile,
    ProfileView,
    WalletItem,
)

__all__ = ["MemoryWalletStore"]


class MemoryWalletStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, WalletItem] = {}
        self._collections: dict[str, Collection] = {}
        self._profiles: dict[str, PortfolioProfile] = {}
        self._views: list[ProfileView] = []
        self._keys: dict[str, LearnerKey] = {}

    def __repr__(self) -> str:
        return f"MemoryWalletStore({len(self._items)} items)"

    # items
    def add_item(self, item: WalletItem) -> None:
        with self._lock:
            if item.id in self._items:
                raise Conflict(f"wallet item {item.id} exists")
            if any(i.share_code == item.share_code for i in self._items.values()):
                raise Conflict("share code taken")
            self._items[item.id] = item

    def get_item(self, item_id: str) -> WalletItem | None:
        with self._lock:
            return self._items.get(item_id)

    def item_by_share_code(self, code: str) -> WalletItem | None:
        with self._lock:
            return next((i for i in self._items.values() if i.share_code == code), None)

    def items_for(self, user_id: str) -> list[WalletItem]:
        with self._lock:
            found = [i for i in self._items.values() if i.user_id == user_id]
        return sorted(found, key=lambda i: (i.added_at, i.id), reverse=True)

    def update_item(self, item: WalletItem) -> None:
        with self._lock:
            if item.id not in self._items:
                raise NotFound("no such wallet item")
            self._items[item.id] = item

    def delete_item(self, item_id: str) -> bool:
        with self._lock:
            removed = self._items.pop(item_id, None) is not None
            if removed:
                for key, c in self._collections.items():
                    if item_id in c.item_ids:
                        kept = tuple(i for i in c.item_ids if i != item_id)
                        self._collections[key] = Collection(
                            c.id, c.user_id, c.name, c.created_at, kept
                        )
            return removed

    def shared_items(self, user_ids: Sequence[str]) -> list[WalletItem]:
        wanted = set(user_ids)
        with self._lock:
            found = [
                i
                for i in self._items.values()
                if i.user_id in wanted and i.visibility.value != "private"
            ]
        return sorted(found, key=lambda i: (i.added_at, i.id), reverse=True)

    # collections
    def save_collection(self, collection: Collection) -> None:
        with self._lock:
            self._collections[collection.id] = collection

    def collections_for(self, user_id: str) -> list[Collection]:
        with self._lock:
            found = [c for c in self._collections.values() if c.user_id == user_id]
        return sorted(found, key=lambda c: (c.name.lower(), c.id))

    def delete_collection(self, collection_id: str) -> bool:
        with self._lock:
            return self._collections.pop(collection_id, None) is not None

    # profiles
    def get_profile(self, user_id: str) -> PortfolioProfile | None:
        with self._lock:
            return self._profiles.get(user_id)

    def profile_by_handle(self, handle: str) -> PortfolioProfile | None:
        with self._lock:
            return next((p for p in self._profiles.values() if p.handle == handle), None)

    def save_profile(self, profile: PortfolioProfile) -> None:
        with self._lock:
            for other in self._profiles.values():
                if other.handle == profile.handle and other.user_id != profile.user_id:
                    raise Conflict(f"the portfolio address {profile.handle!r} is taken")
            self._profiles[profile.user_id] = profile

    def searchable_profiles(self) -> list[PortfolioProfile]:
        with self._lock:
            return sorted(
                (p for p in self._profiles.values() if p.searchable), key=lambda p: p.handle
            )

    # views
    def add_view(self, view: ProfileView) -> None:
        with self._lock:
            self._views.append(view)

    def views_for(self, learner_user_id: str) -> list[ProfileView]:
        with self._lock:
            found = [v for v in self._views if v.learner_user_id == learner_user_id]
        return sorted(found, key=lambda v: (v.at, v.id), reverse=True)

    # keys
    def add_key(self, key: LearnerKey) -> None:
        with self._lock:
            if key.user_id in self._keys:
                raise Conflict("this learner has a wallet key already")
            self._keys[key.user_id] = key

    def key_for(self, user_id: str) -> LearnerKey | None:
        with self._lock:
            return self._keys.get(user_id)
