"""The website's shared pieces: hashed static files, render, redirect with flash messages."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault import __version__
from recipevault.config import Settings
from recipevault.deps import MarkPage, OptionalPageUser
from recipevault.http.signing import derive
from recipevault.web.csrf import ANONYMOUS_CSRF_COOKIE
from recipevault.web.rendering import (
    IMMUTABLE_CACHE,
    SHORT_CACHE,
    STATIC_DIR,
    StaticAssets,
    environment,
    hashed_name,
    redirect,
    render,
    safe_next_url,
    static_url,
)
from tests.support.html import csrf_token, flashes
from tests.support.world import make_user, sign_in

router = APIRouter(dependencies=[MarkPage])


@router.post("/_probe/saved")
async def saved(request: Request, viewer: OptionalPageUser) -> Response:
    return redirect(request, "/_probe/page", flash="Saved <b>bold</b>.")


@router.get("/_probe/page")
async def page(request: Request, viewer: OptionalPageUser) -> Response:
    return render(request, "coming_soon.html", {"title": "<Probe>", "blurb": "x", "section": ""})


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    app.include_router(router)
    return app


def _digest(path: str) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:8]


# --- Static files --------------------------------------------------------------------------


def test_static_url_names_the_file_by_its_content() -> None:
    assert static_url("css/app.css") == f"/static/css/app.{_digest('css/app.css')}.css"
    assert static_url("vendor/htmx/htmx.min.js") == (
        f"/static/vendor/htmx/htmx.min.{_digest('vendor/htmx/htmx.min.js')}.js"
    )


def test_static_url_refuses_unknown_files() -> None:
    with pytest.raises(LookupError):
        static_url("css/missing.css")


def test_hashed_names_without_a_suffix() -> None:
    assert hashed_name("vendor/htmx/LICENSE", "0123abcd") == "vendor/htmx/LICENSE.0123abcd"


def test_assets_follow_file_contents(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("one")
    first = StaticAssets(tmp_path).url("a.css")
    (tmp_path / "a.css").write_text("two")
    second = StaticAssets(tmp_path).url("a.css")
    assert first != second
    assert re.fullmatch(r"/static/a\.[0-9a-f]{8}\.css", second)


async def test_hashed_name_is_cached_for_good(client: httpx.AsyncClient) -> None:
    response = await client.get(static_url("css/app.css"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE_CACHE
    assert response.headers["content-type"].startswith("text/css")
    assert response.content == (STATIC_DIR / "css/app.css").read_bytes()


async def test_plain_and_stale_names_are_served_briefly_cached(client: httpx.AsyncClient) -> None:
    plain = await client.get("/static/css/app.css")
    stale = await client.get("/static/css/app.00000000.css")
    for response in (plain, stale):
        assert response.status_code == 200
        assert response.headers["cache-control"] == SHORT_CACHE
        assert response.content == (STATIC_DIR / "css/app.css").read_bytes()


async def test_unknown_static_file_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/css/nothing.0123abcd.css")
    assert response.status_code == 404
    assert "cache-control" not in response.headers


async def test_pages_load_hashed_assets_and_no_inline_script(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    assert static_url("css/app.css") in page
    assert static_url("vendor/htmx/htmx.min.js") in page
    assert static_url("js/app.js") in page
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert scripts
    assert all(" src=" in attributes and not body.strip() for attributes, body in scripts)


def test_htmx_is_vendored_with_its_licence() -> None:
    assert (STATIC_DIR / "vendor/htmx/htmx.min.js").stat().st_size > 10_000
    assert "BSD" in (STATIC_DIR / "vendor/htmx/LICENSE").read_text()


# --- render --------------------------------------------------------------------------------


def test_templates_escape_by_default() -> None:
    assert environment.from_string("{{ v }}").render(v="<b>&") == "&lt;b&gt;&amp;"


async def test_render_gives_visitors_a_form_token_bound_to_a_cookie(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.get("/_probe/page")
    cookie = response.cookies[settings.cookie_name(ANONYMOUS_CSRF_COOKIE)]
    expected = derive(cookie, key=settings.secret_key, purpose="anonymous-form")
    assert csrf_token(response.text) == expected
    # The same browser keeps its cookie, and so its token.
    again = await client.get("/_probe/page")
    assert settings.cookie_name(ANONYMOUS_CSRF_COOKIE) not in again.cookies
    assert csrf_token(again.text) == expected


async def test_render_gives_signed_in_browsers_their_session_token(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings, name="Rita <Render>")
    token = await sign_in(client, user.email)
    response = await client.get("/_probe/page")
    assert csrf_token(response.text) == token
    assert "Rita &lt;Render&gt;" in response.text
    assert "Rita <Render>" not in response.text


async def test_pages_are_not_kept_by_shared_caches(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_probe/page")).headers["cache-control"] == "private, no-cache"


async def test_sign_in_link_brings_people_back(client: httpx.AsyncClient) -> None:
    page = (await client.get("/recipes?q=soup")).text
    assert 'href="/login?next=/recipes%3Fq%3Dsoup"' in page


async def test_render_shows_the_version_and_escapes_context(client: httpx.AsyncClient) -> None:
    page = (await client.get("/_probe/page")).text
    assert f"RecipeVault {__version__}" in page
    assert "&lt;Probe&gt;" in page
    assert "<Probe>" not in page


async def test_flash_is_shown_once_on_the_next_page(client: httpx.AsyncClient) -> None:
    token = csrf_token((await client.get("/_probe/page")).text)
    response = await client.post("/_probe/saved", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/_probe/page"
    shown = await client.get("/_probe/page")
    assert flashes(shown.text) == ["Saved <b>bold</b>."]
    assert "Saved &lt;b&gt;bold&lt;/b&gt;." in shown.text
    assert flashes((await client.get("/_probe/page")).text) == []


async def test_htmx_requests_leave_the_flash_for_the_next_page(client: httpx.AsyncClient) -> None:
    token = csrf_token((await client.get("/_probe/page")).text)
    await client.post("/_probe/saved", data={"csrf_token": token})
    assert flashes((await client.get("/_probe/page", headers={"HX-Request": "true"})).text) == []
    assert flashes((await client.get("/_probe/page")).text) == ["Saved <b>bold</b>."]


async def test_forged_flash_cookie_is_ignored(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    client.cookies.set(settings.cookie_name("rv_flash"), "W1sic3VjY2VzcyIsICJoaSJdXQ.forged")
    assert flashes((await client.get("/_probe/page")).text) == []


# --- next URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/account", "/account"),
        ("/recipes?q=soup&tag=x#top", "/recipes?q=soup&tag=x#top"),
        (None, "/"),
        ("", "/"),
        ("account", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_safe_next_url_keeps_people_on_this_site(value: str | None, expected: str) -> None:
    assert safe_next_url(value) == expected
