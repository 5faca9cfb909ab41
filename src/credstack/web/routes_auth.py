"""Home, sign-up, sign-in and sign-out pages."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from credstack.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from credstack.platform.accounts import check_password, create_token, create_user, revoke_token
from credstack.platform.domain import UserKind
from credstack.web.core import (
    SESSION_LIFETIME,
    WebDep,
    current,
    form,
    redirect,
    render,
    safe_next,
    set_cookie,
    text,
)
from credstack.web.security import SESSION_COOKIE

log = logging.getLogger("credstack.web")
router = APIRouter(include_in_schema=False)

#: where each kind of account lands after signing in
HOME: dict[UserKind, str] = {
    UserKind.STAFF: "/console",
    UserKind.LEARNER: "/wallet",
    UserKind.EMPLOYER: "/employer",
}
KINDS = {"learner": UserKind.LEARNER, "employer": UserKind.EMPLOYER, "staff": UserKind.STAFF}


@router.get("/", response_class=HTMLResponse)
def home(web: WebDep) -> Response:
    return render(web, "home.html", {"principal": current(web)})


@router.get("/signin", response_class=HTMLResponse)
def signin_page(web: WebDep, next: str | None = None) -> Response:
    return render(web, "signin.html", {"next": safe_next(next, ""), "error": None, "email": ""})


@router.post("/signin", response_class=HTMLResponse)
async def signin(web: WebDep) -> Response:
    data = await form(web)
    email = text(data, "email", max_length=254)
    password = text(data, "password", max_length=1024)
    target = safe_next(text(data, "next", max_length=2048), "")
    try:
        with web.ctx.work() as uow:
            user = check_password(uow, email=email, password=password, hasher=web.ctx.hasher)
            _, secret = create_token(uow, user, at=web.now, lifetime=SESSION_LIFETIME)
    except Unauthenticated as exc:
        context = {"next": target, "error": exc.message, "email": email}
        return render(web, "signin.html", context, status=401)
    response = redirect(target or HOME[user.kind])
    set_cookie(web, response, SESSION_COOKIE, secret, int(SESSION_LIFETIME.total_seconds()))
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup_page(web: WebDep, kind: str = "learner", next: str | None = None) -> Response:
    chosen = kind if kind in KINDS else "learner"
    context = {"error": None, "email": "", "kind": chosen, "next": safe_next(next, "")}
    return render(web, "signup.html", context)


@router.post("/signup", response_class=HTMLResponse)
async def signup(web: WebDep) -> Response:
    data = await form(web)
    email = text(data, "email", max_length=254)
    password = text(data, "password", max_length=1024)
    kind = text(data, "kind", max_length=20) or "learner"
    target = safe_next(text(data, "next", max_length=2048), "")
    try:
        if kind not in KINDS:
            raise InvalidInput("choose learner, employer or issuer staff")
        with web.ctx.work() as uow:
            user = create_user(
                uow,
                email=email,
                password=password,
                at=web.now,
                hasher=web.ctx.hasher,
                kind=KINDS[kind],
            )
            _, secret = create_token(uow, user, at=web.now, lifetime=SESSION_LIFETIME)
    except (InvalidInput, Conflict) as exc:
        chosen = kind if kind in KINDS else ""
        context = {"error": exc.message, "email": email, "kind": chosen, "next": target}
        return render(web, "signup.html", context, status=400)
    response = redirect(target or HOME[user.kind])
    set_cookie(web, response, SESSION_COOKIE, secret, int(SESSION_LIFETIME.total_seconds()))
    return response


@router.post("/signout", response_class=HTMLResponse)
async def signout(web: WebDep) -> Response:
    await form(web)
    secret = web.request.cookies.get(SESSION_COOKIE)
    if secret:
        try:
            with web.ctx.work() as uow:
                revoke_token(uow, secret, at=web.now)
        except NotFound:  # an unknown token: nothing to revoke
            log.info("sign-out with an unknown session")
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
