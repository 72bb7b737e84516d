"""Cross-site request forgery: the token a form or a script sends back with every unsafe request.

A signed-in browser's unsafe requests carry its session's CSRF token (checked by
``accounts.auth``, on the API and the pages alike). A browser without a session (signing in,
registering, asking for a password reset) gets a random cookie of its own, and its forms carry a
keyed digest of that cookie: another site can neither read the cookie nor compute the digest, so
it cannot sign someone in to the attacker's account behind their back (login CSRF).
"""

from __future__ import annotations

from fastapi import Request, Response

from recipevault.config import Settings
from recipevault.errors import Forbidden
from recipevault.http.signing import derive, new_secret, same_secret

CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

ANONYMOUS_CSRF_COOKIE = "rv_csrf"
_PURPOSE = "anonymous-form"
# Long enough that a sign-in form left open over a weekend still works.
ANONYMOUS_CSRF_MAX_AGE = 7 * 86400
# Our cookie values are 43 characters; anything much longer was not set by us.
_MAX_COOKIE_LENGTH = 100

FORM_REFUSED = (
    "This form has expired or was not sent from this site. Go back, reload the page and try again."
)


class CsrfRejected(Forbidden):
    title = "CSRF token missing or wrong"
    code = "csrf"


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token sent with a request, from the header or else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FORM_FIELD)
        return value if isinstance(value, str) else None
    return None


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


async def check_anonymous_csrf(request: Request) -> None:
    """Refuse an unsafe request from a browser without a session unless it sends back the
    token its cookie gives."""
    settings = _settings(request)
    cookie = request.cookies.get(settings.cookie_name(ANONYMOUS_CSRF_COOKIE))
    submitted = await submitted_csrf(request)
    if (
        not cookie
        or not submitted
        or not same_secret(submitted, derive(cookie, key=settings.secret_key, purpose=_PURPOSE))
    ):
        raise CsrfRejected(FORM_REFUSED)
