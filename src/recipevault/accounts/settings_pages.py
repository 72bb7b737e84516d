"""The account settings page: profile, password, personal API tokens, email confirmation.

One page holds several forms; each posts to its own address and, when refused, the whole page
is rendered again with that form's input and errors (the other forms show their saved state).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import recovery, service, tokens
from recipevault.accounts.auth import Identity
from recipevault.accounts.cookies import sign_in_browser
from recipevault.accounts.passwords import WeakPassword
from recipevault.accounts.schemas import ApiTokenForm, PasswordChange, ProfileForm
from recipevault.clock import utcnow
from recipevault.db import undo_on_error
from recipevault.deps import (
    ClientDep,
    HasherDep,
    MailerDep,
    MarkPage,
    PageUser,
    SessionDep,
    SettingsDep,
    SiteUrlDep,
)
from recipevault.errors import AppError, Forbidden
from recipevault.http.schemas import Id
from recipevault.web.forms import FORM_ERROR, Form, blank_form, read_form
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix="/account", include_in_schema=False, dependencies=[MarkPage])

ACCOUNT_PAGE = "/account"
# Token lifetimes offered on the form, in days (None: until revoked).
TOKEN_LIFETIMES: tuple[tuple[int | None, str], ...] = (
    (30, "30 days"),
    (90, "90 days"),
    (365, "1 year"),
    (None, "No expiry"),
)


async def _account_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    *,
    profile: Form[Any] | None = None,
    password: Form[Any] | None = None,
    token: Form[Any] | None = None,
    new_token: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    user = await service.get_user(session, identity.user_id)
    api_tokens = [tokens.token_read(t) for t in await tokens.list_api_tokens(session, user=user)]
    context = {
        "account": user,
        "profile_form": profile
        or blank_form({"display_name": user.display_name, "unit_system": user.unit_system}),
        "password_form": password or blank_form(),
        "token_form": token or blank_form({"scopes": ["read"], "expires_in_days": "90"}),
        "api_tokens": api_tokens,
        "new_token": new_token,
        "token_lifetimes": TOKEN_LIFETIMES,
    }
    return render(
        request, "accounts/account.html", context, status_code=status_code, headers=headers
    )


@router.get("")
async def account(request: Request, identity: PageUser, session: SessionDep) -> Response:
    return await _account_page(request, session, identity)


@router.post("/profile")
async def update_profile(request: Request, identity: PageUser, session: SessionDep) -> Response:
    form = await read_form(request, ProfileForm)
    if form.data is None:
        return await _account_page(request, session, identity, profile=form, status_code=400)
    user = await service.get_user(session, identity.user_id)
    await service.update_profile(session, user=user, data=form.data.to_update())
    return redirect(request, ACCOUNT_PAGE, flash="Your profile is saved.")


@router.post("/password")
async def change_password(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    hasher: HasherDep,
    client: ClientDep,
) -> Response:
    """Change the password; every other device is signed out, this browser gets a new session."""
    form = await read_form(request, PasswordChange)
    if form.data is None:
        return await _account_page(request, session, identity, password=form, status_code=400)
    user = await service.get_user(session, identity.user_id)
    try:
        async with undo_on_error(session):
            await service.change_password(
                session,
                user=user,
                current_password=form.data.current_password,
                new_password=form.data.new_password,
                hasher=hasher,
                keep_session_id=None,
                ip=client.ip,
            )
    except Forbidden as exc:
        form = form.with_error("current_password", exc.detail)
        return await _account_page(request, session, identity, password=form, status_code=400)
    except WeakPassword as exc:
        form = form.with_error("new_password", exc.detail)
        return await _account_page(request, session, identity, password=form, status_code=400)
    response = redirect(
        request, ACCOUNT_PAGE, flash="Your password is changed; other devices were signed out."
    )
    # The password change ended every session already: this one replaces none.
    await sign_in_browser(response, session, user, settings=settings, client=client, replaces=None)
    return response


@router.post("/tokens")
async def create_token(
    request: Request, identity: PageUser, session: SessionDep, client: ClientDep
) -> Response:
    """Create a personal API token and show it, this once, on the page itself: the secret is
    never stored, so it cannot ride along a redirect."""
    form = await read_form(request, ApiTokenForm)
    if form.data is None:
        return await _account_page(request, session, identity, token=form, status_code=400)
    user = await service.get_user(session, identity.user_id)
    try:
        async with undo_on_error(session):
            _, secret = await tokens.create_api_token(
                session, user=user, data=form.data.to_create(now=utcnow()), ip=client.ip
            )
    except AppError as exc:
        form = form.with_error(FORM_ERROR, exc.detail)
        return await _account_page(request, session, identity, token=form, status_code=400)
    return await _account_page(
        request,
        session,
        identity,
        new_token=secret,
        status_code=201,
        # Neither the browser nor anything in between may keep a copy of the secret.
        headers={"Cache-Control": "no-store"},
    )


@router.post("/tokens/{token_id:int}/delete")
async def delete_token(
    request: Request, token_id: Id, identity: PageUser, session: SessionDep, client: ClientDep
) -> Response:
    user = await service.get_user(session, identity.user_id)
    await tokens.delete_api_token(session, user=user, token_id=token_id, ip=client.ip)
    return redirect(request, ACCOUNT_PAGE + "#tokens", flash="The token is revoked.")


@router.post("/verify-email")
async def resend_verification(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    site_url: SiteUrlDep,
    mailer: MailerDep,
) -> Response:
    user = await service.get_user(session, identity.user_id)
    await recovery.send_verification(
        session, user=user, settings=settings, site_url=site_url, mailer=mailer
    )
    return redirect(
        request,
        ACCOUNT_PAGE,
        flash=f"A new confirmation link is on its way to {user.email}.",
        category="info",
    )
