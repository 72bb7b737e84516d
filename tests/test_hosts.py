"""The Host check: which hosts the site answers to, and how it refuses the others."""

from __future__ import annotations

import pytest

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.hosts import HostPolicy
from tests.support.app import app_client

ALLOWED = ["recipes.example.org", "localhost", "127.0.0.1", "[::1]", "*.example.net"]


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ("recipes.example.org", True),
        ("Recipes.Example.ORG:8443", True),
        ("localhost:9000", True),
        ("[::1]:8000", True),
        ("shop.example.net", True),
        ("evil.example", False),
        ("localhost:@evil.example", False),
        ("localhost@evil.example", False),
        ("localhost:99999", False),
        ("localhost:0", False),
        ("localhost/evil", False),
        ("", False),
        (None, False),
    ],
)
def test_host_policy(header: str | None, allowed: bool) -> None:
    assert HostPolicy(ALLOWED).allows(header) is allowed


async def test_an_unknown_host_gets_problem_json(settings: Settings, database: Database) -> None:
    async with app_client(settings, database) as client:
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
