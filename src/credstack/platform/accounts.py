"""Accounts and access: staff users, API tokens, memberships and what each role may do.

* Passwords are hashed with Argon2id (RFC 9106, https://www.rfc-editor.org/rfc/rfc9106).
* An API token's secret is random, shown once, and stored only as its SHA-256; a token has
  scopes, an expiry, may be revoked, and may be bound to one organisation.
* What a caller may do in an organisation is its role there (owner, issuer, viewer)
  intersected with its token's scopes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from credstack.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from credstack.platform.domain import ApiToken, Membership, Organisation, Role, User, UserKind
from credstack.platform.ports import UnitOfWork

TOKEN_PREFIX = "csk_"  # noqa: S105 (a prefix, not a secret)
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MAX_TOKEN_LIFETIME = timedelta(days=366)
LOGIN_TOKEN_LIFETIME = timedelta(hours=12)
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+\Z")
# A hash of a random password: verifying against it costs the same as a real check, so a login
# for an unknown e-mail takes as long as one with a wrong password.
_DUMMY_SECRET = "credstack-no-such-user"  # noqa: S105


class Action(StrEnum):
    """What a request does; also the names of token scopes."""

    READ = "read"  # see achievements, credentials, jobs
    ISSUE = "issue"  # achievements, issuing, revoking, bulk jobs
    MANAGE = "manage"  # keys, tokens, members; creating organisations


ALL_SCOPES = frozenset(a.value for a in Action)

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset({Action.READ, Action.ISSUE, Action.MANAGE}),
    Role.ISSUER: frozenset({Action.READ, Action.ISSUE}),
    Role.VIEWER: frozenset({Action.READ}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the user and the token it presented."""

    user: User
    token: ApiToken


def default_hasher() -> PasswordHasher:
    """Argon2id with the library's defaults (RFC 9106 second recommended option)."""
    return PasswordHasher()


def normalise_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def create_user(
    uow: UnitOfWork,
    *,
    email: str,
    password: str,
    at: datetime,
    hasher: PasswordHasher,
    kind: UserKind = UserKind.STAFF,
) -> User:
    """A new user; the e-mail is unique (:class:`Conflict` otherwise)."""
    address = normalise_email(email)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if uow.users.get_by_email(address) is not None:
        raise Conflict(f"a user with e-mail {address} exists")
    user = User(
        id=str(uuid.uuid4()),
        email=address,
        password_hash=hasher.hash(password),
        kind=kind,
        created_at=at,
    )
    uow.users.add(user)
    return user


def check_password(uow: UnitOfWork, *, email: str, password: str, hasher: PasswordHasher) -> User:
    """The user with this e-mail and password, or :class:`Unauthenticated` (same for both)."""
    refused = Unauthenticated("wrong e-mail address or password")
    try:
        address = normalise_email(email)
    except InvalidInput:
        raise refused from None
    user = uow.users.get_by_email(address)
    stored = user.password_hash if user is not None else hasher.hash(_DUMMY_SECRET)
    try:
        hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise refused from None
    if user is None:
        raise refused
    if hasher.check_needs_rehash(user.password_hash):
        user = replace(user, password_hash=hasher.hash(password))
        uow.users.update(user)
    return user


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(scopes: list[str] | None) -> frozenset[str]:
    if scopes is None:
        return ALL_SCOPES
    chosen = frozenset(scopes)
    unknown = chosen - ALL_SCOPES
    if unknown or not chosen:
        raise InvalidInput(
            f"scopes are a non-empty subset of {', '.join(sorted(ALL_SCOPES))}"
            + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "")
        )
    return chosen


def create_token(
    uow: UnitOfWork,
    user: User,
    *,
    at: datetime,
    lifetime: timedelta,
    scopes: frozenset[str] = ALL_SCOPES,
    organisation: Organisation | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once: only the SHA-256 is stored)."""
    if not timedelta(0) < lifetime <= MAX_TOKEN_LIFETIME:
        raise InvalidInput(f"a token lives at most {MAX_TOKEN_LIFETIME.days} days")
    parse_scopes(sorted(scopes))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        id=str(uuid.uuid4()),
        user_id=user.id,
        token_hash=token_hash(secret),
        scopes=scopes,
        created_at=at,
        expires_at=at + lifetime,
        organisation_id=organisation.id if organisation is not None else None,
    )
    uow.tokens.add(token)
    return token, secret


def authenticate(uow: UnitOfWork, secret: str, *, at: datetime) -> Principal:
    """The caller behind a bearer secret; :class:`Unauthenticated` if unknown, expired or
    revoked."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise Unauthenticated("the bearer token is not valid")
    digest = token_hash(secret)
    token = uow.tokens.get_by_hash(digest)
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        raise Unauthenticated("the bearer token is not valid")
    if token.revoked_at is not None:
        raise Unauthenticated("the bearer token was revoked")
    if at >= token.expires_at:
        raise Unauthenticated("the bearer token has expired")
    user = uow.users.get(token.user_id)
    if user is None:
        raise Unauthenticated("the bearer token is not valid")
    return Principal(user, token)


def revoke_token(uow: UnitOfWork, secret: str, *, at: datetime) -> ApiToken:
    """Revoke the token with this secret (knowing the secret is the authority to revoke it)."""
    token = uow.tokens.get_by_hash(token_hash(secret))
    if token is None:
        raise NotFound("no such token")
    if token.revoked_at is None:
        token = replace(token, revoked_at=at)
        uow.tokens.update(token)
    return token


def revoke_token_by_id(
    uow: UnitOfWork,
    token_id: str,
    *,
    owner: User | None = None,
    organisation: Organisation | None = None,
    at: datetime,
) -> ApiToken:
    """Revoke a token by id: one of ``owner``'s own tokens, or a token bound to
    ``organisation`` (its owners manage them).  Any other token reads as missing."""
    token = uow.tokens.get(token_id)
    mine = token is not None and owner is not None and token.user_id == owner.id
    bound = (
        token is not None and organisation is not None and token.organisation_id == organisation.id
    )
    if token is None or not (mine or bound):
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token = replace(token, revoked_at=at)
        uow.tokens.update(token)
    return token


def role_in(uow: UnitOfWork, user: User, organisation: Organisation) -> Role | None:
    for membership in uow.users.memberships(user.id):
        if membership.organisation_id == organisation.id:
            return membership.role
    return None


def add_member(
    uow: UnitOfWork, organisation: Organisation, *, email: str, role: Role
) -> Membership:
    """Give an existing staff user a role in the organisation."""
    user = uow.users.get_by_email(normalise_email(email))
    if user is None:
        raise NotFound(f"no user with e-mail {email}")
    if user.kind is not UserKind.STAFF:
        raise InvalidInput("only staff users can be members of an organisation")
    if role_in(uow, user, organisation) is not None:
        raise Conflict(f"{user.email} is a member of {organisation.slug} already")
    membership = Membership(user.id, organisation.id, role)
    uow.users.add_membership(membership)
    return membership


def authorise(
    uow: UnitOfWork, principal: Principal, organisation: Organisation, action: Action
) -> Role:
    """The caller's role if it may do ``action`` in ``organisation``; otherwise
    :class:`PermissionDenied`."""
    token = principal.token
    if token.organisation_id is not None and token.organisation_id != organisation.id:
        raise PermissionDenied(f"this token acts for another organisation than {organisation.slug}")
    role = role_in(uow, principal.user, organisation)
    if role is None:
        raise PermissionDenied(f"you are not a member of {organisation.slug}")
    if action not in ROLE_ACTIONS[role]:
        raise PermissionDenied(f"the {role} role may not {action} in {organisation.slug}")
    if action.value not in token.scopes:
        raise PermissionDenied(f"this token lacks the {action} scope")
    return role


def require_scope(principal: Principal, action: Action) -> None:
    if action.value not in principal.token.scopes:
        raise PermissionDenied(f"this token lacks the {action} scope")
