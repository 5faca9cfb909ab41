""":class:`~credstack.platform.wallet.WalletStore` in the SQL database (SQLite or PostgreSQL):
the tables of migration 0008.  A wallet-made DID key's seed is stored sealed (AES-256-GCM under
a key-encryption key, done by the caller), never in the clear."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Connection,
    CursorResult,
    LargeBinary,
    Row,
    String,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from credstack.errors import Conflict, NotFound
from credstack.platform.wallet import (
    Collection,
    LearnerKey,
    PortfolioProfile,
    ProfileView,
    Skill,
    Visibility,
    WalletItem,
)
from credstack.storage._common import json_text, utc
from credstack.storage._translate import translated
from credstack.storage.base import Base
from credstack.storage.session import SqlDatabase

__all__ = ["SqlWalletStore"]


class WalletItemRow(Base):
    __tablename__ = "wallet_items"
    __table_args__ = (UniqueConstraint("user_id", "credential_id"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    user_id: Mapped[str] = mapped_column(String, index=True)
    credential_json: Mapped[str] = mapped_column(Text)
    credential_id: Mapped[str | None] = mapped_column(Text)
    issuer_id: Mapped[str] = mapped_column(Text)
    issuer_name: Mapped[str] = mapped_column(Text)
    achievement_name: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String)
    added_at: Mapped[datetime]
    share_code: Mapped[str] = mapped_column(String, unique=True)
    visibility: Mapped[str] = mapped_column(String)
    skills_json: Mapped[str] = mapped_column(Text)


class WalletCollectionRow(Base):
    __tablename__ = "wallet_collections"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    user_id: Mapped[str] = mapped_column(String, index=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    item_ids_json: Mapped[str] = mapped_column(Text)


class PortfolioProfileRow(Base):
    __tablename__ = "portfolio_profiles"

    user_id: Mapped[str] = mapped_column(String, primary_key=True)
    handle: Mapped[str] = mapped_column(String, unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    headline: Mapped[str] = mapped_column(Text)
    searchable: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime | None]


class ProfileViewRow(Base):
    __tablename__ = "profile_views"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    learner_user_id: Mapped[str] = mapped_column(String, index=True)
    viewer_user_id: Mapped[str] = mapped_column(String)
    viewer_label: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class LearnerKeyRow(Base):
    __tablename__ = "learner_keys"

    user_id: Mapped[str] = mapped_column(String, primary_key=True)
    did: Mapped[str] = mapped_column(Text)
    sealed_seed: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]


def _item_values(item: WalletItem) -> dict[str, Any]:
    skills = [{"name": s.name, "url": s.url, "framework": s.framework} for s in item.skills]
    return {
        "id": item.id,
        "user_id": item.user_id,
        "credential_json": item.credential_json,
        "credential_id": item.credential_id,
        "issuer_id": item.issuer_id,
        "issuer_name": item.issuer_name,
        "achievement_name": item.achievement_name,
        "issued_at": None if item.issued_at is None else utc(item.issued_at, "issued_at"),
        "source": item.source,
        "added_at": utc(item.added_at, "added_at"),
        "share_code": item.share_code,
        "visibility": item.visibility.value,
        "skills_json": json_text(skills, "skills"),
    }


def _item(row: Row[Any]) -> WalletItem:
    skills = tuple(
        Skill(s["name"], s.get("url"), s.get("framework")) for s in json.loads(row.skills_json)
    )
    return WalletItem(
        id=row.id,
        user_id=row.user_id,
        credential_json=row.credential_json,
        credential_id=row.credential_id,
        issuer_id=row.issuer_id,
        issuer_name=row.issuer_name,
        achievement_name=row.achievement_name,
        issued_at=row.issued_at,
        source=row.source,
        added_at=row.added_at,
        share_code=row.share_code,
        visibility=Visibility(row.visibility),
        skills=skills,
    )


def _collection(row: Row[Any]) -> Collection:
    return Collection(
        row.id, row.user_id, row.name, row.created_at, tuple(json.loads(row.item_ids_json))
    )


def _profile(row: Row[Any]) -> PortfolioProfile:
    return PortfolioProfile(
        row.user_id, row.handle, row.display_name, row.headline, row.searchable, row.updated_at
    )


class SqlWalletStore:
    """Wallets on a :class:`~credstack.storage.session.SqlDatabase` at revision 0008 or later."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    def __repr__(self) -> str:
        return "SqlWalletStore()"

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with translated(), self._database.engine.begin() as connection:
            yield connection

    # items ---------------------------------------------------------------------------------

    def add_item(self, item: WalletItem) -> None:
        try:
            with self._begin() as db:
                db.execute(insert(WalletItemRow).values(**_item_values(item)))
        except (Conflict, IntegrityError) as exc:
            raise Conflict("this credential is in the wallet already") from exc

    def get_item(self, item_id: str) -> WalletItem | None:
        w = WalletItemRow
        with self._begin() as db:
            row = db.execute(select(w).where(w.id == item_id)).first()
        return None if row is None else _item(row)

    def item_by_share_code(self, code: str) -> WalletItem | None:
        w = WalletItemRow
        with self._begin() as db:
            row = db.execute(select(w).where(w.share_code == code)).first()
        return None if row is None else _item(row)

    def items_for(self, user_id: str) -> list[WalletItem]:
        w = WalletItemRow
        query = select(w).where(w.user_id == user_id).order_by(w.added_at.desc(), w.id.desc())
        with self._begin() as db:
            return [_item(row) for row in db.execute(query).all()]

    def update_item(self, item: WalletItem) -> None:
        w = WalletItemRow
        values = _item_values(item)
        del values["id"]
        with self._begin() as db:
            result = db.execute(update(w).where(w.id == item.id).values(**values))
            if cast(CursorResult[Any], result).rowcount != 1:
                raise NotFound("no such wallet item")

    def delete_item(self, item_id: str) -> bool:
        w, c = WalletItemRow, WalletCollectionRow
        with self._begin() as db:
            row = db.execute(select(w.user_id).where(w.id == item_id)).first()
            if row is None:
                return False
            for found in db.execute(select(c).where(c.user_id == row.user_id)).all():
                ids = json.loads(found.item_ids_json)
                if item_id in ids:
                    kept = json_text([i for i in ids if i != item_id], "item ids")
                    db.execute(update(c).where(c.id == found.id).values(item_ids_json=kept))
            result = db.execute(delete(w).where(w.id == item_id))
            return cast(CursorResult[Any], result).rowcount == 1

    def shared_items(self, user_ids: Sequence[str]) -> list[WalletItem]:
        if not user_ids:
            return []
        w = WalletItemRow
        query = (
            select(w)
            .where(w.user_id.in_(list(user_ids)), w.visibility != Visibility.PRIVATE.value)
            .order_by(w.added_at.desc(), w.id.desc())
        )
        with self._begin() as db:
            return [_item(row) for row in db.execute(query).all()]

    # collections ---------------------------------------------------------------------------

    def save_collection(self, collection: Collection) -> None:
        c = WalletCollectionRow
        values = {
            "user_id": collection.user_id,
            "name": collection.name,
            "created_at": utc(collection.created_at, "created_at"),
            "item_ids_json": json_text(list(collection.item_ids), "item ids"),
        }
        with self._begin() as db:
            result = db.execute(update(c).where(c.id == collection.id).values(**values))
            if cast(CursorResult[Any], result).rowcount == 0:
                db.execute(insert(c).values(id=collection.id, **values))

    def collections_for(self, user_id: str) -> list[Collection]:
        c = WalletCollectionRow
        with self._begin() as db:
            rows = db.execute(select(c).where(c.user_id == user_id)).all()
        return sorted((_collection(r) for r in rows), key=lambda x: (x.name.lower(), x.id))

    def delete_collection(self, collection_id: str) -> bool:
        c = WalletCollectionRow
        with self._begin() as db:
            result = db.execute(delete(c).where(c.id == collection_id))
            return cast(CursorResult[Any], result).rowcount == 1

    # profiles ------------------------------------------------------------------------------

    def get_profile(self, user_id: str) -> PortfolioProfile | None:
        p = PortfolioProfileRow
        with self._begin() as db:
            row = db.execute(select(p).where(p.user_id == user_id)).first()
        return None if row is None else _profile(row)

    def profile_by_handle(self, handle: str) -> PortfolioProfile | None:
        p = PortfolioProfileRow
        with self._begin() as db:
            row = db.execute(select(p).where(p.handle == handle)).first()
        return None if row is None else _profile(row)

    def save_profile(self, profile: PortfolioProfile) -> None:
        p = PortfolioProfileRow
        values = {
            "handle": profile.handle,
            "display_name": profile.display_name,
            "headline": profile.headline,
            "searchable": profile.searchable,
            "updated_at": None
            if profile.updated_at is None
            else utc(profile.updated_at, "updated_at"),
        }
        try:
            with self._begin() as db:
                result = db.execute(update(p).where(p.user_id == profile.user_id).values(**values))
                if cast(CursorResult[Any], result).rowcount == 0:
                    db.execute(insert(p).values(user_id=profile.user_id, **values))
        except (Conflict, IntegrityError) as exc:
            raise Conflict(f"the portfolio address {profile.handle!r} is taken") from exc

    def searchable_profiles(self) -> list[PortfolioProfile]:
        p = PortfolioProfileRow
        with self._begin() as db:
            rows = db.execute(select(p).where(p.searchable.is_(True)).order_by(p.handle)).all()
        return [_profile(r) for r in rows]

    # views ---------------------------------------------------------------------------------

    def add_view(self, view: ProfileView) -> None:
        with self._begin() as db:
            db.execute(
                insert(ProfileViewRow).values(
                    id=view.id,
                    learner_user_id=view.learner_user_id,
                    viewer_user_id=view.viewer_user_id,
                    viewer_label=view.viewer_label,
                    query=view.query,
                    at=utc(view.at, "at"),
                )
            )

    def views_for(self, learner_user_id: str) -> list[ProfileView]:
        v = ProfileViewRow
        query = select(v).where(v.learner_user_id == learner_user_id).order_by(v.at.desc(), v.id)
        with self._begin() as db:
            rows = db.execute(query).all()
        return [
            ProfileView(r.id, r.learner_user_id, r.viewer_user_id, r.viewer_label, r.query, r.at)
            for r in rows
        ]

    # keys ----------------------------------------------------------------------------------

    def add_key(self, key: LearnerKey) -> None:
        try:
            with self._begin() as db:
                db.execute(
                    insert(LearnerKeyRow).values(
                        user_id=key.user_id,
                        did=key.did,
                        sealed_seed=key.sealed_seed,
                        kek_id=key.kek_id,
                        created_at=utc(key.created_at, "created_at"),
                    )
                )
        except (Conflict, IntegrityError) as exc:
            raise Conflict("this learner has a wallet key already") from exc

    def key_for(self, user_id: str) -> LearnerKey | None:
        k = LearnerKeyRow
        with self._begin() as db:
            row = db.execute(select(k).where(k.user_id == user_id)).first()
        if row is None:
            return None
        return LearnerKey(row.user_id, row.did, row.sealed_seed, row.kek_id, row.created_at)
