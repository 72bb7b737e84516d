"""The Host check, and links that use the address the site is served at."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.http.hosts import HostPolicy, site_url
from recipevault.main import create_app
from recipevault.policy import Visibility
from tests.recipes.pages_support import make_recipe, pancakes
from tests.support.app import make_settings, record_mail
from tests.support.world import PASSWORD, bearer, make_user, make_world

ALLOWED = ["recipes.example.org", "localhost", "127.0.0.1", "[::1]", "*.example.net"]


@pytest.mark.parametrize(
    ("header", "allowed", "authority"),
    [
        ("recipes.example.org", True, "recipes.example.org"),
        ("Recipes.Example.ORG:8443", True, "recipes.example.org:8443"),
        ("localhost:9000", True, "localhost:9000"),
        ("[::1]:8000", True, "[::1]:8000"),
        # Allowed by a wildcard, so whoever sends the request chose it: never used for links.
        ("shop.example.net", True, None),
        ("evil.example", False, None),
        ("localhost:@evil.example", False, None),
        ("localhost@evil.example", False, None),
        ("localhost:99999", False, None),
        ("localhost:0", False, None),
        ("localhost/evil", False, None),
        ("", False, None),
        (None, False, None),
    ],
)
def test_host_policy(header: str | None, allowed: bool, authority: str | None) -> None:
    policy = HostPolicy(ALLOWED)
    assert policy.allows(header) is allowed
    assert policy.named_authority(header) == authority


@asynccontextmanager
async def served(
    settings: Settings, database: Database, **overrides: object
) -> AsyncIterator[tuple[httpx.AsyncClient, list[EmailMessage]]]:
    """A client of the app, with the mail it sends; public_url unset unless overridden."""
    values: dict[str, object] = {"public_url": None, **overrides}
    app = create_app(make_settings(settings.database_url, **values), database=database)
    sent = record_mail(app)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, sent
        await app.state.mailer.drain()


def _links(messages: list[EmailMessage]) -> list[str]:
    return [link for m in messages for link in re.findall(r"https?://\S+", str(m.get_content()))]


async def test_an_unknown_host_gets_problem_json(settings: Settings, database: Database) -> None:
    async with served(settings, database) as (client, _):
        for host in ("evil.example", "localhost:@evil.example", "localhost:99999"):
            response = await client.get("/api/v1/recipes", headers={"host": host})
            assert response.status_code == 400
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["status"] == 400
            assert problem["type"] == "urn:recipevault:problem:unknown-host"
            assert problem["instance"] == "/api/v1/recipes"
            assert response.headers["x-request-id"]
        page = await client.get("/", headers={"host": "evil.example", "accept": "text/html"})
        assert page.status_code == 400
        assert page.headers["content-type"] == "application/problem+json"


async def test_reset_link_uses_the_address_the_request_came_to(
    settings: Settings, database: Database, session: AsyncSession
) -> None:
    user = await make_user(session, settings)
    async with served(settings, database) as (client, sent):
        response = await client.post(
            "/api/v1/auth/password-reset",
            json={"email": user.email},
            headers={"host": "localhost:9000"},
        )
        assert response.status_code == 202
    (link,) = _links(sent)
    assert link.startswith("http://localhost:9000/reset-password?token=")


async def test_a_host_header_cannot_point_a_reset_link_elsewhere(
    settings: Settings, database: Database, session: AsyncSession
) -> None:
    user = await make_user(session, settings)
    async with served(settings, database) as (client, sent):
        for host in ("evil.example", "localhost:@evil.example", "localhost@evil.example"):
            response = await client.post(
                "/api/v1/auth/password-reset", json={"email": user.email}, headers={"host": host}
            )
            assert response.status_code == 400
    assert sent == []


async def test_a_public_url_wins_over_the_request(
    settings: Settings, database: Database, session: AsyncSession
) -> None:
    user = await make_user(session, settings)
    async with served(settings, database, public_url="https://recipes.example.org/") as (
        client,
        sent,
    ):
        await client.post(
            "/api/v1/auth/password-reset",
            json={"email": user.email},
            headers={"host": "localhost:9000"},
        )
    (link,) = _links(sent)
    assert link.startswith("https://recipes.example.org/reset-password?token=")


async def test_links_follow_the_scheme_a_trusted_proxy_reports(
    settings: Settings, database: Database
) -> None:
    async with served(settings, database, trusted_proxies=["127.0.0.1"]) as (client, sent):
        response = await client.post(
            "/api/v1/auth/register",
            json={"email": "new@example.org", "password": PASSWORD, "display_name": "New"},
            headers={"host": "localhost", "x-forwarded-proto": "https"},
        )
        assert response.status_code == 201
    (link,) = _links(sent)
    assert link.startswith("https://localhost/verify-email?token=")


async def test_invite_links_use_the_address_the_request_came_to(
    settings: Settings, database: Database, session: AsyncSession
) -> None:
    world = await make_world(session, settings)
    headers = {**bearer(world.owner, settings, session), "host": "127.0.0.1:8123"}
    async with served(settings, database) as (client, _):
        response = await client.post(
            f"/api/v1/households/{world.household.id}/invites", json={}, headers=headers
        )
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == f"http://127.0.0.1:8123/households/join?code={body['code']}"


def _json_ld_url(page: str) -> str:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, flags=re.S)
    assert found, page
    return str(json.loads(found.group(1))["url"])


async def test_json_ld_names_the_address_each_visitor_used(
    settings: Settings, database: Database, session: AsyncSession
) -> None:
    world = await make_world(session, settings)
    recipe = await make_recipe(session, world.owner, pancakes(visibility=Visibility.PUBLIC))
    path = f"/recipes/{recipe.slug}"
    async with served(settings, database) as (client, _):
        # Visitors' pages are kept rendered: one host's copy must not answer another.
        for host in ("localhost:9000", "127.0.0.1:9100", "localhost:9000"):
            page = await client.get(path, headers={"host": host})
            assert page.status_code == 200
            assert _json_ld_url(page.text) == f"http://{host}{path}"


def test_outside_a_request_links_use_the_listening_address() -> None:
    settings = make_settings("sqlite://", public_url=None, host="127.0.0.1", port=9300)
    assert site_url(settings) == "http://127.0.0.1:9300"
    with_public = make_settings("sqlite://", public_url="https://recipes.example.org")
    assert site_url(with_public) == "https://recipes.example.org"
