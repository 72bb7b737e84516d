"""Browser pages for signing in and out, and recovering an account.

The account settings page is in ``settings_pages.py``; registering is in ``registration``.
Each route reads a form with the API's schema, calls the same service as the API, and
re-renders the form with errors (400) or redirects with a flash message (303).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from recipevault.accounts import recovery, service
from recipevault.accounts import sessions as browser_sessions
from recipevault.accounts.cookies import clear_session_cookie, sign_in_browser
from recipevault.accounts.passwords import WeakPassword
from recipevault.accounts.recovery import LinkInvalid
from recipevault.accounts.schemas import (
    EmailVerification,
    PasswordResetConfirm,
    PasswordResetRequest,
    SessionLogin,
)
from recipevault.db import undo_on_error
from recipevault.deps import (
    ClientDep,
    HasherDep,
    MailerDep,
    MarkPage,
    OptionalPageUser,
    RateLimiterDep,
    SessionCookieDep,
    SessionDep,
    SettingsDep,
    SiteUrlDep,
)
from recipevault.errors import TooManyRequests
from recipevault.web.forms import FORM_ERROR, Form, blank_form, read_form
from recipevault.web.rendering import redirect, render, safe_next_url

router = APIRouter(include_in_schema=False, dependencies=[MarkPage])

NextParam = Annotated[str | None, Query(alias="next", max_length=2000)]
TokenParam = Annotated[str | None, Query(max_length=200)]


async def _posted(request: Request, name: str) -> str:
    value = (await request.form()).get(name)
    return value if isinstance(value, str) else ""


# --- Signing in and out -----------------------------------------------------------------------


def _login_page(
    request: Request, form: Form[Any], next_url: str, *, status_code: int = 200, **extra: Any
) -> Response:
    context = {"form": form, "next": next_url}
    return render(request, "accounts/login.html", context, status_code=status_code, **extra)


@router.get("/login")
async def login_form(
    request: Request, viewer: OptionalPageUser, next_url: NextParam = None
) -> Response:
    target = safe_next_url(next_url)
    if viewer is not None:
        return redirect(request, target)
    return _login_page(request, blank_form(), target)


@router.post("/login")
async def login(
    request: Request,
    viewer: OptionalPageUser,
    session: SessionDep,
    settings: SettingsDep,
    hasher: HasherDep,
    limiter: RateLimiterDep,
    client: ClientDep,
    previous: SessionCookieDep,
) -> Response:
    """The API's password sign-in (rate limits and lockout included) for a browser."""
    target = safe_next_url(await _posted(request, "next"))
    form = await read_form(request, SessionLogin)
    if form.data is None:
        return _login_page(request, form, target, status_code=400)
    try:
        # A failed sign-in is kept (it counts toward the lockout) although the form is refused.
        async with undo_on_error(session):
            user = await service.sign_in(
                session,
                email=form.data.email,
                password=form.data.password,
                hasher=hasher,
                limiter=limiter,
                settings=settings,
                ip=client.ip,
            )
    except service.SignInFailed as exc:
        return _login_page(
            request, form.with_error(FORM_ERROR, exc.detail), target, status_code=400
        )
    except TooManyRequests as exc:
        return _login_page(
            request,
            form.with_error(FORM_ERROR, exc.detail),
            target,
            status_code=exc.status_code,
            headers=exc.headers,
        )
    response = redirect(request, target, flash=f"Welcome back, {user.display_name}.")
    await sign_in_browser(
        response, session, user, settings=settings, client=client, replaces=previous
    )
    return response


@router.post("/logout")
async def logout(
    request: Request,
    viewer: OptionalPageUser,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    if viewer is not None and viewer.actor.session_id is not None:
        await browser_sessions.delete_session(session, viewer.actor.session_id, ip=client.ip)
    response = redirect(request, "/", flash="You are signed out.")
    clear_session_cookie(response, settings)
    return response


# --- Recovering an account ------------------------------------------------------------------


def _forgot_page(
    request: Request, form: Form[Any], *, status_code: int = 200, **extra: Any
) -> Response:
    context = {"form": form}
    return render(
        request, "accounts/forgot_password.html", context, status_code=status_code, **extra
    )


@router.get("/forgot-password")
async def forgot_password_form(request: Request, viewer: OptionalPageUser) -> Response:
    return _forgot_page(request, blank_form())


@router.post("/forgot-password")
async def forgot_password(
    request: Request,
    viewer: OptionalPageUser,
    session: SessionDep,
    settings: SettingsDep,
    site_url: SiteUrlDep,
    mailer: MailerDep,
    limiter: RateLimiterDep,
    client: ClientDep,
) -> Response:
    """Mail a reset link; the answer is the same whether the address has an account."""
    form = await read_form(request, PasswordResetRequest)
    if form.data is None:
        return _forgot_page(request, form, status_code=400)
    try:
        await recovery.request_password_reset(
            session,
            email=form.data.email,
            settings=settings,
            site_url=site_url,
            mailer=mailer,
            limiter=limiter,
            ip=client.ip,
        )
    except TooManyRequests as exc:
        return _forgot_page(
            request,
            form.with_error(FORM_ERROR, exc.detail),
            status_code=exc.status_code,
            headers=exc.headers,
        )
    return redirect(
        request,
        "/login",
        flash=(
            f"If an account uses {form.data.email}, a link to choose a new password is on "
            "its way. It works once, for a limited time."
        ),
        category="info",
    )


def _reset_page(request: Request, form: Form[Any], *, status_code: int = 200) -> Response:
    return render(request, "accounts/reset_password.html", {"form": form}, status_code=status_code)


@router.get("/reset-password")
async def reset_password_form(
    request: Request, viewer: OptionalPageUser, token: TokenParam = None
) -> Response:
    form = blank_form({"token": token or ""})
    if not token:
        form = form.with_error(FORM_ERROR, "This link is incomplete; open the one in the email.")
        return _reset_page(request, form, status_code=400)
    return _reset_page(request, form)


@router.post("/reset-password")
async def reset_password(
    request: Request,
    viewer: OptionalPageUser,
    session: SessionDep,
    settings: SettingsDep,
    hasher: HasherDep,
    client: ClientDep,
) -> Response:
    form = await read_form(request, PasswordResetConfirm)
    if form.data is None:
        if "token" in form.errors:
            form = form.with_error(
                FORM_ERROR, "This link is incomplete; open the one in the email."
            )
        return _reset_page(request, form, status_code=400)
    try:
        # A refused password leaves the link unused, so the person can try another.
        async with undo_on_error(session):
            await recovery.reset_password(
                session,
                token=form.data.token,
                new_password=form.data.new_password,
                hasher=hasher,
                ip=client.ip,
            )
    except WeakPassword as exc:
        return _reset_page(request, form.with_error("new_password", exc.detail), status_code=400)
    except LinkInvalid as exc:
        return _reset_page(request, form.with_error(FORM_ERROR, exc.detail), status_code=400)
    response = redirect(
        request,
        "/login",
        flash="Your password is changed and every device was signed out. Sign in with it now.",
    )
    clear_session_cookie(response, settings)
    return response


def _verify_page(request: Request, form: Form[Any], *, status_code: int = 200) -> Response:
    return render(request, "accounts/verify_email.html", {"form": form}, status_code=status_code)


@router.get("/verify-email")
async def verify_email_form(
    request: Request, viewer: OptionalPageUser, token: TokenParam = None
) -> Response:
    """A button that confirms, rather than confirming on GET: mail scanners that open every
    link must not use it up, and confirming is a write."""
    form = blank_form({"token": token or ""})
    if not token:
        form = form.with_error(FORM_ERROR, "This link is incomplete; open the one in the email.")
        return _verify_page(request, form, status_code=400)
    return _verify_page(request, form)


@router.post("/verify-email")
async def verify_email(
    request: Request, viewer: OptionalPageUser, session: SessionDep, client: ClientDep
) -> Response:
    form = await read_form(request, EmailVerification)
    if form.data is None:
        form = form.with_error(FORM_ERROR, "This link is incomplete; open the one in the email.")
        return _verify_page(request, form, status_code=400)
    try:
        async with undo_on_error(session):
            await recovery.verify_email(session, token=form.data.token, ip=client.ip)
    except LinkInvalid as exc:
        return _verify_page(request, form.with_error(FORM_ERROR, exc.detail), status_code=400)
    target = "/account" if viewer is not None else "/"
    return redirect(request, target, flash="Thank you: your email address is confirmed.")
