"""Organisations (issuers): profile, did:web identity, first signing key."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from credstack.errors import Conflict, InvalidInput, NotFound
from credstack.platform.domain import Membership, Organisation, Role, User
from credstack.platform.keys import KeyCustody, create_first_key
from credstack.platform.ports import UnitOfWork

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
_COUNTRY = re.compile(r"[A-Z]{2}\Z")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?\Z")

#: EU member states (ISO 3166-1 alpha-2; Greece is "GR" in ISO, "EL" in EU usage: both accepted)
EU_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR EL HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)


def organisation_did(host: str, slug: str) -> str:
    """``did:web:<host>:orgs:<slug>`` (a port is percent-encoded, as did:web requires)."""
    if not _HOST.match(host):
        raise InvalidInput(f"{host!r} is not a host name (with an optional port)")
    return f"did:web:{host.replace(':', '%3A')}:orgs:{slug}"


def _check(slug: str, name: str, country: str | None, email: str | None) -> None:
    if not _SLUG.match(slug):
        raise InvalidInput(
            f"slug {slug!r} must be 1-64 lower-case letters, digits and inner hyphens"
        )
    if not name.strip() or len(name) > 200:
        raise InvalidInput("an organisation needs a name of at most 200 characters")
    if country is not None and not _COUNTRY.match(country):
        raise InvalidInput(f"country {country!r} must be an ISO 3166-1 alpha-2 code, e.g. NL")
    if email is not None and (
        len(email) > 254 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)
    ):
        raise InvalidInput(f"{email!r} is not an e-mail address")


def create_organisation(
    uow: UnitOfWork,
    custody: KeyCustody,
    *,
    host: str,
    slug: str,
    name: str,
    at: datetime,
    url: str | None = None,
    email: str | None = None,
    image: str | None = None,
    country: str | None = None,
    address: dict[str, Any] | None = None,
    owner: User | None = None,
) -> Organisation:
    """A new organisation with its did:web identity and a first active signing key;
    ``owner`` (its creator) gets the owner role."""
    _check(slug, name, country, email)
    if uow.organisations.get_by_slug(slug) is not None:
        raise Conflict(f"an organisation with slug {slug!r} exists")
    organisation = Organisation(
        id=str(uuid.uuid4()),
        slug=slug,
        name=name.strip(),
        did=organisation_did(host, slug),
        url=url,
        email=email,
        image=image,
        country=country,
        address=address,
        created_at=at,
    )
    uow.organisations.add(organisation)
    create_first_key(uow, custody, organisation, at)
    if owner is not None:
        uow.users.add_membership(Membership(owner.id, organisation.id, Role.OWNER))
    return organisation


def update_profile(uow: UnitOfWork, organisation_id: str, **changes: Any) -> Organisation:
    """Change profile fields (not the slug or DID, which issued credentials point to)."""
    organisation = get_organisation(uow, organisation_id)
    forbidden = {"id", "slug", "did", "created_at"} & set(changes)
    if forbidden:
        raise InvalidInput(f"{', '.join(sorted(forbidden))} cannot change after creation")
    updated = replace(organisation, **changes)
    _check(updated.slug, updated.name, updated.country, updated.email)
    uow.organisations.update(updated)
    return updated


def get_organisation(uow: UnitOfWork, organisation_id: str) -> Organisation:
    found = uow.organisations.get(organisation_id)
    if found is None:
        raise NotFound(f"no organisation {organisation_id}")
    return found


def issuer_profile(organisation: Organisation) -> dict[str, Any]:
    """The OB 3.0 ``Profile`` of the organisation as issuer (id = its DID)."""
    profile: dict[str, Any] = {
        "id": organisation.did,
        "type": ["Profile"],
        "name": organisation.name,
    }
    if organisation.url:
        profile["url"] = organisation.url
    if organisation.email:
        profile["email"] = organisation.email
    if organisation.image:
        profile["image"] = {"id": organisation.image, "type": "Image"}
    if organisation.country or organisation.address:
        address: dict[str, Any] = {"type": ["Address"]}
        address.update(organisation.address or {})
        if organisation.country:
            address["addressCountryCode"] = organisation.country
        profile["address"] = address
    return profile
