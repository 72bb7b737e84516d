"""Who is looking at a page, and the CSRF check for forms sent before anyone signs in.

Pages know people by the browser session cookie only (bearer tokens are for API clients).
A signed-in browser's unsafe requests carry the session's CSRF token, checked by
``accounts.auth`` exactly as on the API. A browser without a session (signing in, registering,
asking for a password reset) gets a random cookie of its own, and its forms carry a keyed
digest of that cookie: another site can neither read the cookie nor compute the digest, so it
cannot sign someone in to the attacker's account behind their back (login CSRF).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from recipevault.accounts.auth import CsrfRejected, Identity, submitted_csrf, who_is_asking
from recipevault.accounts.credentials import new_secret, same_secret
from recipevault.config import Settings
from recipevault.db import SAFE_METHODS
from recipevault.deps import SessionDep
from recipevault.errors import Forbidden, Unauthorized
from recipevault.signing import derive

ANONYMOUS_CSRF_COOKIE = "rv_csrf"
_PURPOSE = "anonymous-form"
# Long enough that a sign-in form left open over a weekend still works.
ANONYMOUS_CSRF_MAX_AGE = 7 * 86400
# Our cookie values are 43 characters; anything much longer was not set by us.
_MAX_COOKIE_LENGTH = 100


class SignInRequired(Unauthorized):
    title = "Sign in required"
    code = "sign-in-required"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def anonymous_csrf_token(request: Request) -> tuple[str, str | None]:
    """The form token of a browser without a session, and the cookie value to set when the
    browser has none yet (``None`` when it already has one)."""
    settings = _settings(request)
    cookie = request.cookies.get(settings.cookie_name(ANONYMOUS_CSRF_COOKIE))
    new_cookie = None
    if not cookie or len(cookie) > _MAX_COOKIE_LENGTH:
        cookie = new_cookie = new_secret()
    return derive(cookie, key=settings.secret_key, purpose=_PURPOSE), new_cookie


def set_anonymous_csrf_cookie(request: Request, response: Response, value: str) -> None:
    settings = _settings(request)
    response.set_cookie(
        settings.cookie_name(ANONYMOUS_CSRF_COOKIE),
        value,
        max_age=ANONYMOUS_CSRF_MAX_AGE,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


FORM_REFUSED = (
    "This form has expired or was not sent from this site. Go back, reload the page and try again."
)


async def check_anonymous_csrf(request: Request) -> None:
    settings = _settings(request)
    cookie = request.cookies.get(settings.cookie_name(ANONYMOUS_CSRF_COOKIE))
    submitted = await submitted_csrf(request)
    if (
        not cookie
        or not submitted
        or not same_secret(submitted, derive(cookie, key=settings.secret_key, purpose=_PURPOSE))
    ):
        raise CsrfRejected(FORM_REFUSED)


async def identify_quietly(request: Request) -> Identity | None:
    """The signed-in browser for pages rendered outside a page route (a 404 for an unknown
    address), so the header still shows who is signed in. Read-only and never raises."""
    if request.method not in SAFE_METHODS:
        return None
    try:
        return await who_is_asking(request, browser=True)
    except Exception:
        return None


async def _mark_page(request: Request) -> None:
    # Errors on page routes answer with HTML pages whatever the Accept header says.
    request.state.page = True


async def _page_viewer(request: Request, session: SessionDep) -> Identity | None:
    request.state.page = True
    try:
        identity = await who_is_asking(request, session=session, browser=True)
    except CsrfRejected:
        # The API's wording names headers and fields; people need to know what to do.
        raise CsrfRejected(FORM_REFUSED) from None
    if identity is None and request.method not in SAFE_METHODS:
        await check_anonymous_csrf(request)
    return identity


async def _page_user(
    identity: Annotated[Identity | None, Depends(_page_viewer)],
) -> Identity:
    if identity is None:
        # errors.py turns this into a redirect to the sign-in page for browsers.
        raise SignInRequired("Sign in to see this page.")
    return identity


async def _page_admin(identity: Annotated[Identity, Depends(_page_user)]) -> Identity:
    if not identity.is_admin:
        raise Forbidden("Only site admins can see this page.")
    return identity


# Router-level dependency of page routers: see ``errors.wants_html``.
MarkPage = Depends(_mark_page)
# The signed-in browser or None; unsafe requests must pass the CSRF check either way.
OptionalPageUser = Annotated[Identity | None, Depends(_page_viewer)]
# Signed in, or a redirect to the sign-in page.
PageUser = Annotated[Identity, Depends(_page_user)]
PageAdmin = Annotated[Identity, Depends(_page_admin)]
