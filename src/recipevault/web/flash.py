"""Flash messages: one-time notices shown on the next page the browser renders ("Signed out.").

They travel in a signed cookie rather than on the server-side session: visitors who are not
signed in need them too (after asking for a password reset, after signing out), and a notice
then costs no table, no migration and no database write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, get_args

from fastapi import Request, Response

from recipevault.config import Settings
from recipevault.http.signing import sign, unsign

Category = Literal["success", "info", "warning", "error"]
CATEGORIES: frozenset[str] = frozenset(get_args(Category))
FLASH_COOKIE = "rv_flash"
_PURPOSE = "flash"
# A notice is for the very next page; one left unread longer is stale.
MAX_AGE_SECONDS = 300
# Cookies are capped at about 4 KB; a handful of short notices is all a page shows anyway.
MAX_MESSAGES = 5
MAX_MESSAGE_LENGTH = 300


@dataclass(frozen=True, slots=True)
class Flash:
    message: str
    category: Category = "success"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def has_flashes(request: Request) -> bool:
    """Whether the request may carry notices (cheap: no signature check)."""
    return _settings(request).cookie_name(FLASH_COOKIE) in request.cookies


def pending_flashes(request: Request) -> list[Flash]:
    """Notices waiting in the request's cookie; anything unsigned or malformed is ignored."""
    settings = _settings(request)
    raw = request.cookies.get(settings.cookie_name(FLASH_COOKIE))
    if not raw:
        return []
    value = unsign(raw, key=settings.secret_key, purpose=_PURPOSE)
    if value is None:
        return []
    try:
        items = json.loads(value)
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    flashes = []
    for item in items:
        if (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], str)
            and item[0] in CATEGORIES
        ):
            flashes.append(Flash(message=item[1], category=item[0]))  # type: ignore[arg-type]
    return flashes


def add_flash(
    request: Request, response: Response, message: str, *, category: Category = "success"
) -> None:
    """Queue ``message`` for the next page; notices not shown yet are kept before it."""
    settings = _settings(request)
    flashes = [*pending_flashes(request), Flash(message[:MAX_MESSAGE_LENGTH], category)]
    payload = json.dumps([[f.category, f.message] for f in flashes[-MAX_MESSAGES:]])
    response.set_cookie(
        settings.cookie_name(FLASH_COOKIE),
        sign(payload, key=settings.secret_key, purpose=_PURPOSE),
        max_age=MAX_AGE_SECONDS,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def clear_flashes(request: Request, response: Response) -> None:
    """Make ``response`` drop the notices the request brought (they have been shown)."""
    settings = _settings(request)
    name = settings.cookie_name(FLASH_COOKIE)
    if name in request.cookies:
        response.delete_cookie(
            name, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax"
        )
