"""/api/v1/auth and /api/v1/users/me: signing in and out, tokens, and one's own account
(registering, POST /api/v1/auth/register, is in ``registration.api``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response, status

from recipevault.accounts import recovery, service, tokens
from recipevault.accounts import sessions as browser_sessions
from recipevault.accounts.auth import NotAuthenticated
from recipevault.accounts.cookies import clear_session_cookie, sign_in_browser
from recipevault.accounts.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    EmailVerification,
    PasswordChange,
    PasswordGrant,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    SessionLogin,
    SessionRead,
    TokenPair,
    UserRead,
    UserUpdate,
    normalize_email,
)
from recipevault.deps import (
    ClientDep,
    CurrentUser,
    DatabaseDep,
    HasherDep,
    MailerDep,
    RateLimiterDep,
    SessionCookieDep,
    SessionDep,
    SettingsDep,
    SiteUrlDep,
)
from recipevault.errors import ValidationFailed
from recipevault.http.schemas import Id

auth_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
me_router = APIRouter(prefix="/api/v1/users/me", tags=["users"])


@auth_router.post(
    "/token", response_model=TokenPair, responses={401: {}, 429: {"description": "Rate limited"}}
)
async def token(
    form: Annotated[PasswordGrant, Form()],
    session: SessionDep,
    settings: SettingsDep,
    hasher: HasherDep,
    limiter: RateLimiterDep,
    client: ClientDep,
) -> TokenPair:
    """OAuth2 password grant: `username` is the email. Returns an access and a refresh token."""
    try:
        email = normalize_email(form.username)
    except ValueError:
        raise ValidationFailed("`username` must be the account's email address.") from None
    user = await service.sign_in(
        session,
        email=email,
        password=form.password,
        hasher=hasher,
        limiter=limiter,
        settings=settings,
        ip=client.ip,
    )
    issued = tokens.issue_tokens(session, user=user, settings=settings)
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
    )


@auth_router.post("/refresh", response_model=TokenPair, responses={401: {}})
async def refresh(
    data: RefreshRequest, session: SessionDep, settings: SettingsDep, client: ClientDep
) -> TokenPair:
    """Trade a refresh token for a new pair. Each refresh token works once."""
    issued = await tokens.rotate_refresh_token(
        session, refresh_token=data.refresh_token, settings=settings, ip=client.ip
    )
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
    )


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(data: RefreshRequest, session: SessionDep, client: ClientDep) -> None:
    """Revoke a refresh token and every token rotated from the same sign-in."""
    await tokens.revoke_refresh_token(session, refresh_token=data.refresh_token, ip=client.ip)


@auth_router.post("/session", response_model=SessionRead, responses={401: {}, 429: {}})
async def open_session(
    data: SessionLogin,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    hasher: HasherDep,
    limiter: RateLimiterDep,
    client: ClientDep,
    previous: SessionCookieDep,
) -> SessionRead:
    """Sign in a browser: sets the session cookie and returns the CSRF token to send with
    every unsafe request (`X-CSRF-Token` header or `csrf_token` form field)."""
    user = await service.sign_in(
        session,
        email=data.email,
        password=data.password,
        hasher=hasher,
        limiter=limiter,
        settings=settings,
        ip=client.ip,
    )
    opened = await sign_in_browser(
        response, session, user, settings=settings, client=client, replaces=previous
    )
    return SessionRead(
        user=UserRead.model_validate(user),
        csrf_token=opened.record.csrf_token,
        expires_at=opened.record.expires_at,
    )


@auth_router.get("/session", response_model=SessionRead, responses={401: {}})
async def read_session(actor: CurrentUser, session: SessionDep) -> SessionRead:
    """The signed-in browser session, with its CSRF token."""
    if actor.session_id is None:
        raise NotAuthenticated("This request is not made with a browser session.")
    record = await browser_sessions.get_session(session, actor.session_id)
    user = await service.get_user(session, actor.user_id)
    return SessionRead(
        user=UserRead.model_validate(user),
        csrf_token=record.csrf_token,
        expires_at=record.expires_at,
    )


@auth_router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
async def close_session(
    actor: CurrentUser,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> None:
    """Sign the browser out: the session record is deleted and the cookie cleared."""
    if actor.session_id is not None:
        await browser_sessions.delete_session(session, actor.session_id, ip=client.ip)
    clear_session_cookie(response, settings)


@auth_router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, responses={429: {}})
async def request_password_reset(
    data: PasswordResetRequest,
    session: SessionDep,
    settings: SettingsDep,
    site_url: SiteUrlDep,
    mailer: MailerDep,
    limiter: RateLimiterDep,
    client: ClientDep,
) -> dict[str, str]:
    """Mail a reset link. The answer is the same whether the account exists or not."""
    await recovery.request_password_reset(
        session,
        email=data.email,
        settings=settings,
        site_url=site_url,
        mailer=mailer,
        limiter=limiter,
        ip=client.ip,
    )
    return {"detail": "If an account uses that address, a reset link is on its way."}


@auth_router.post(
    "/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT, responses={400: {}}
)
async def confirm_password_reset(
    data: PasswordResetConfirm, session: SessionDep, hasher: HasherDep, client: ClientDep
) -> None:
    """Set a new password with the mailed token; every session and token is signed out."""
    await recovery.reset_password(
        session, token=data.token, new_password=data.new_password, hasher=hasher, ip=client.ip
    )


@auth_router.post("/verify-email", status_code=status.HTTP_204_NO_CONTENT, responses={400: {}})
async def verify_email(data: EmailVerification, session: SessionDep, client: ClientDep) -> None:
    await recovery.verify_email(session, token=data.token, ip=client.ip)


@auth_router.post("/verify-email/resend", status_code=status.HTTP_202_ACCEPTED)
async def resend_verification(
    actor: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    site_url: SiteUrlDep,
    mailer: MailerDep,
) -> dict[str, str]:
    user = await service.get_user(session, actor.user_id)
    await recovery.send_verification(
        session, user=user, settings=settings, site_url=site_url, mailer=mailer
    )
    return {"detail": "If the address is not verified yet, a new link is on its way."}


# --- /api/v1/users/me -----------------------------------------------------------------------


@me_router.get("", response_model=UserRead)
async def read_me(actor: CurrentUser, database: DatabaseDep) -> UserRead:
    return UserRead.model_validate(await service.read_account(database, actor.user_id))


@me_router.patch("", response_model=UserRead)
async def update_me(data: UserUpdate, actor: CurrentUser, session: SessionDep) -> UserRead:
    user = await service.get_user(session, actor.user_id)
    return UserRead.model_validate(await service.update_profile(session, user=user, data=data))


@me_router.post("/password", status_code=status.HTTP_204_NO_CONTENT, responses={403: {}})
async def change_password(
    data: PasswordChange,
    actor: CurrentUser,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    hasher: HasherDep,
    client: ClientDep,
) -> None:
    """Change the password. Every other session, refresh token and access token stops working;
    a browser gets a fresh session cookie, an API client signs in again."""
    user = await service.get_user(session, actor.user_id)
    await service.change_password(
        session,
        user=user,
        current_password=data.current_password,
        new_password=data.new_password,
        hasher=hasher,
        keep_session_id=None,
        ip=client.ip,
    )
    if actor.session_id is not None:
        # The password change ended every session already: this one replaces none.
        await sign_in_browser(
            response, session, user, settings=settings, client=client, replaces=None
        )


@me_router.get("/tokens", response_model=list[ApiTokenRead])
async def list_tokens(actor: CurrentUser, session: SessionDep) -> list[ApiTokenRead]:
    user = await service.get_user(session, actor.user_id)
    return [tokens.token_read(t) for t in await tokens.list_api_tokens(session, user=user)]


@me_router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=ApiTokenCreated)
async def create_token(
    data: ApiTokenCreate, actor: CurrentUser, session: SessionDep, client: ClientDep
) -> ApiTokenCreated:
    """Create a personal API token. The token is in this response only."""
    user = await service.get_user(session, actor.user_id)
    record, secret = await tokens.create_api_token(session, user=user, data=data, ip=client.ip)
    return ApiTokenCreated(**tokens.token_read(record).model_dump(), token=secret)


@me_router.delete("/tokens/{token_id:int}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_token(
    token_id: Id, actor: CurrentUser, session: SessionDep, client: ClientDep
) -> None:
    user = await service.get_user(session, actor.user_id)
    await tokens.delete_api_token(session, user=user, token_id=token_id, ip=client.ip)
