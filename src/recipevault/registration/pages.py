"""The browser's registration page: the API's schema read from a form, the same service as
the API, the form again with errors (400) or the new person signed in and sent home (303)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault import site_settings
from recipevault.accounts import recovery
from recipevault.accounts import service as accounts
from recipevault.accounts.cookies import sign_in_browser
from recipevault.accounts.passwords import WeakPassword
from recipevault.accounts.schemas import UserCreate
from recipevault.config import Settings
from recipevault.db import undo_on_error
from recipevault.deps import (
    ClientDep,
    HasherDep,
    MailerDep,
    MarkPage,
    OptionalPageUser,
    SessionCookieDep,
    SessionDep,
    SettingsDep,
    SiteUrlDep,
)
from recipevault.registration import service
from recipevault.web.forms import Form, blank_form, read_form
from recipevault.web.rendering import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[MarkPage])


async def _registration_allowed(session: AsyncSession, settings: Settings) -> bool:
    registration_open = await site_settings.registration_open(session, settings=settings)
    return await accounts.registration_allowed(session, registration_open=registration_open)


def _register_page(request: Request, form: Form[Any], *, status_code: int = 200) -> Response:
    return render(request, "accounts/register.html", {"form": form}, status_code=status_code)


def _registration_closed_page(request: Request) -> Response:
    return render(request, "accounts/registration_closed.html", status_code=403)


@router.get("/register")
async def register_form(
    request: Request, viewer: OptionalPageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    if viewer is not None:
        return redirect(request, "/")
    if not await _registration_allowed(session, settings):
        return _registration_closed_page(request)
    return _register_page(request, blank_form())


@router.post("/register")
async def register(
    request: Request,
    viewer: OptionalPageUser,
    session: SessionDep,
    settings: SettingsDep,
    site_url: SiteUrlDep,
    hasher: HasherDep,
    mailer: MailerDep,
    client: ClientDep,
    previous: SessionCookieDep,
) -> Response:
    """Create the account, mail the confirmation link and sign the new person in."""
    form = await read_form(request, UserCreate)
    registration_open = await site_settings.registration_open(session, settings=settings)
    if not await accounts.registration_allowed(session, registration_open=registration_open):
        return _registration_closed_page(request)
    if form.data is None:
        return _register_page(request, form, status_code=400)
    try:
        async with undo_on_error(session):
            user = await service.register_user(
                session,
                data=form.data,
                hasher=hasher,
                registration_open=registration_open,
                ip=client.ip,
            )
    except WeakPassword as exc:
        return _register_page(request, form.with_error("password", exc.detail), status_code=400)
    except accounts.EmailTaken as exc:
        return _register_page(request, form.with_error("email", exc.detail), status_code=400)
    except accounts.RegistrationClosed:
        return _registration_closed_page(request)
    await recovery.send_verification(
        session, user=user, settings=settings, site_url=site_url, mailer=mailer
    )
    response = redirect(
        request,
        "/",
        flash=(
            f"Welcome to RecipeVault, {user.display_name}. "
            f"We sent a link to {user.email} to confirm the address."
        ),
    )
    await sign_in_browser(
        response, session, user, settings=settings, client=client, replaces=previous
    )
    return response
