"""The website's shared pieces: the Jinja2 environment, ``render`` and ``redirect`` for page
routes, the error pages, and static files under content-hashed names.

Static files are named by a hash of their contents (``/static/css/app.1a2b3c4d.css``), computed
once when the app starts, so browsers may keep them for a year: a changed file gets a new name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import Response
from starlette.types import Scope

from recipevault import __version__
from recipevault.http.identity import answer
from recipevault.web.csrf import anonymous_csrf_token, set_anonymous_csrf_cookie
from recipevault.web.flash import Category, add_flash, clear_flashes, pending_flashes

PACKAGE_DIR = Path(__file__).parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
STATIC_PREFIX = "/static"

IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
# Files asked for by their plain name (or by an older hash, from a page rendered before a
# deploy) are still served, but only briefly cached: their contents may change.
SHORT_CACHE = "public, max-age=300"
HASH_LENGTH = 8
_HASHED_NAME = re.compile(
    rf"^(?P<stem>(?:.*/)?[^/]+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[^./]+)?$"
)
# Pages carry a per-browser CSRF token and often personal data: no shared cache may keep
# them, and the browser asks again each time. A route may pass its own Cache-Control.
PAGE_HEADERS = {"Cache-Control": "private, no-cache"}
ERROR_TEMPLATES = {403: "errors/403.html", 404: "errors/404.html", 500: "errors/500.html"}


def hashed_name(path: str, digest: str) -> str:
    """``css/app.css`` -> ``css/app.<digest>.css``; ``LICENSE`` -> ``LICENSE.<digest>``."""
    pure = PurePosixPath(path)
    return str(pure.with_name(f"{pure.stem}.{digest}{pure.suffix}"))


class StaticAssets:
    """The content-hashed name of every file under a directory."""

    def __init__(self, directory: Path) -> None:
        self._hashed: dict[str, str] = {}
        self._originals: dict[str, str] = {}
        for file in sorted(directory.rglob("*")):
            if not file.is_file() or file.name.startswith("."):
                continue
            name = file.relative_to(directory).as_posix()
            digest = hashlib.sha256(file.read_bytes()).hexdigest()[:HASH_LENGTH]
            self._hashed[name] = hashed_name(name, digest)
            self._originals[self._hashed[name]] = name

    def url(self, path: str) -> str:
        """The URL of a static file by its plain name; unknown names fail loudly, so a typo in
        a template breaks its test instead of a page."""
        try:
            return f"{STATIC_PREFIX}/{self._hashed[path]}"
        except KeyError:
            raise LookupError(f"no static file {path!r} under {STATIC_DIR}") from None

    def resolve(self, requested: str) -> tuple[str, bool]:
        """The file to serve for a requested name, and whether the name carries that file's
        current hash (only then may it be cached for good)."""
        if requested in self._originals:
            return self._originals[requested], True
        match = _HASHED_NAME.match(requested)
        if match is not None:
            plain = match["stem"] + (match["suffix"] or "")
            if plain in self._hashed:
                return plain, False
        return requested, False


@cache
def static_assets() -> StaticAssets:
    return StaticAssets(STATIC_DIR)


def static_url(path: str) -> str:
    return static_assets().url(path)


class HashedStaticFiles(StaticFiles):
    def __init__(self, *, directory: Path, assets: StaticAssets) -> None:
        super().__init__(directory=directory)
        self.assets = assets

    async def get_response(self, path: str, scope: Scope) -> Response:
        served, current = self.assets.resolve(Path(path).as_posix())
        response = await super().get_response(served, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE_CACHE if current else SHORT_CACHE
        return response


def mount_static(app: FastAPI) -> None:
    # Hashing here, at startup, reads every file once; requests only look names up.
    app.mount(
        STATIC_PREFIX,
        HashedStaticFiles(directory=STATIC_DIR, assets=static_assets()),
        name="static",
    )


environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    # Templates ship with the package and change only with a new release (and a restart):
    # checking each one's modification time on every render costs a stat() per template.
    auto_reload=False,
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(value: datetime) -> str:
    """A date as people write it ("22 Nov 2026"); not strftime, which follows the locale."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


environment.globals.update(static_url=static_url, version=__version__)
environment.filters["date"] = format_date
templates = Jinja2Templates(env=environment)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    visitor_forms: bool = True,
) -> HTMLResponse:
    """Render a page with what every page needs: the signed-in user (``user``, or None), the
    CSRF token for its forms (``csrf_token``), the flash messages (``flashes``), and the app
    ``version``. The user is the one ``accounts.auth.who_is_asking`` found for this request
    (a page dependency asks). ``visitor_forms=False`` leaves the token out for visitors."""
    identity = answer(request)
    if identity is not None and identity.csrf_token is None:
        identity = None  # a bearer token's: pages know browsers by their session alone
    new_csrf_cookie = None
    if identity is not None:
        assert identity.csrf_token is not None
        csrf_token = identity.csrf_token
    elif visitor_forms:
        csrf_token, new_csrf_cookie = anonymous_csrf_token(request)
    else:
        # A page with no form for visitors (a recipe) is then the same for every visitor,
        # and may be kept and served again as it is.
        csrf_token = ""
    # htmx swaps in fragments that have no place for notices: keep them for the next page.
    flashes = [] if _is_htmx(request) else pending_flashes(request)
    values: dict[str, Any] = {
        "user": identity,
        "csrf_token": csrf_token,
        "flashes": flashes,
        "version": __version__,
        **(context or {}),
    }
    response = templates.TemplateResponse(
        request,
        template,
        values,
        status_code=status_code,
        headers={**PAGE_HEADERS, **(headers or {})},
    )
    if flashes:
        clear_flashes(request, response)
    if new_csrf_cookie is not None:
        set_anonymous_csrf_cookie(request, response, new_csrf_cookie)
    return response


def redirect(
    request: Request, url: str, *, flash: str | None = None, category: Category = "success"
) -> RedirectResponse:
    """A 303 to ``url`` (the browser follows with a GET), with a notice for the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        add_flash(request, response, flash, category=category)
    return response


def safe_next_url(value: str | None, default: str = "/") -> str:
    """``value`` if it is a path on this site, else ``default``: a ``next`` parameter must
    never send someone to another site after they sign in."""
    if not value or len(value) > 2000 or not value.startswith("/"):
        return default
    # "//host" and "/\\host" are read by browsers as another host.
    if value.startswith("//") or "\\" in value:
        return default
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def render_error_page(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The friendly HTML page for an error on a browser request (see ``errors.wants_html``)."""
    context = {
        "status": status,
        "title": title,
        "detail": detail,
        "request_id": getattr(request.state, "request_id", None),
    }
    template = ERROR_TEMPLATES.get(status, "errors/error.html")
    return render(request, template, context, status_code=status, headers=headers)
