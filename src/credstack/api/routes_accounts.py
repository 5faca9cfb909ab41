"""Bootstrap and accounts: sign up, log in (a token), revoke a token, create an organisation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from credstack.api import views
from credstack.api.context import Bearer, Ctx
from credstack.api.schemas import Login, NewAccount, NewOrganisation, RevokeToken
from credstack.errors import PermissionDenied
from credstack.platform.accounts import (
    LOGIN_TOKEN_LIFETIME,
    Action,
    check_password,
    create_token,
    create_user,
    parse_scopes,
    require_scope,
    revoke_token,
    revoke_token_by_id,
)
from credstack.platform.organisations import create_organisation

router = APIRouter(tags=["accounts"])


@router.post("/accounts", status_code=201, summary="Create a staff user (e-mail + password)")
def create_account(body: NewAccount, ctx: Ctx) -> dict[str, Any]:
    with ctx.work() as uow:
        user = create_user(
            uow, email=body.email, password=body.password, at=ctx.clock(), hasher=ctx.hasher
        )
    return views.user(user)


@router.post("/tokens", status_code=201, summary="Log in: a password for a token (shown once)")
def login(body: Login, ctx: Ctx) -> dict[str, Any]:
    with ctx.work() as uow:
        user = check_password(uow, email=body.email, password=body.password, hasher=ctx.hasher)
        token, secret = create_token(
            uow,
            user,
            at=ctx.clock(),
            lifetime=LOGIN_TOKEN_LIFETIME,
            scopes=parse_scopes(body.scopes),
        )
    return views.token(token, secret)


@router.post("/tokens/revoke", summary="Revoke a token (whoever holds its secret may)")
def revoke(body: RevokeToken, ctx: Ctx) -> dict[str, Any]:
    with ctx.work() as uow:
        token = revoke_token(uow, body.token, at=ctx.clock())
    return views.token(token)


@router.get("/me/tokens", summary="The caller's tokens (never their secrets)")
def my_tokens(ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        principal = ctx.principal(uow, credentials)
        return {"items": [views.token(t) for t in uow.tokens.for_user(principal.user.id)]}


@router.delete("/me/tokens/{token_id}", summary="Revoke one of the caller's tokens")
def revoke_my_token(token_id: str, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        principal = ctx.principal(uow, credentials)
        token = revoke_token_by_id(uow, token_id, owner=principal.user, at=ctx.clock())
    return views.token(token)


@router.get("/me", summary="The caller and its memberships")
def me(ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        principal = ctx.principal(uow, credentials)
        memberships = []
        for m in uow.users.memberships(principal.user.id):
            org = uow.organisations.get(m.organisation_id)
            if org is not None:
                memberships.append({"organisation": org.slug, "role": m.role.value})
    return {
        **views.user(principal.user),
        "token": views.token(principal.token),
        "memberships": memberships,
    }


@router.post("/orgs", status_code=201, summary="Create an organisation; the caller becomes owner")
def create_org(body: NewOrganisation, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    with ctx.work() as uow:
        principal = ctx.principal(uow, credentials)
        require_scope(principal, Action.MANAGE)
        if principal.token.organisation_id is not None:
            raise PermissionDenied("an organisation token cannot create organisations")
        org = create_organisation(
            uow,
            ctx.custody,
            host=ctx.host,
            slug=body.slug,
            name=body.name,
            at=ctx.clock(),
            url=body.url,
            email=body.email,
            image=body.image,
            country=body.country,
            owner=principal.user,
        )
    return views.organisation(org)
