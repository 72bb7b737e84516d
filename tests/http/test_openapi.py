"""The OpenAPI document tells the truth: what it documents is what the API answers.

The document is checked directly (every error is a problem document, declared where it can
happen), then against a live server by schemathesis, signed out and signed in: no 5xx, no
status, content type, header or body the document does not list, the right ``Allow`` header,
and no request the schema allows refused as invalid input.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from recipevault.errors import PROBLEM_CONTENT_TYPE
from tests.support.browser import LiveServer, live_server, run_cli

PROBLEM = {"$ref": "#/components/schemas/Problem"}
VALIDATION_PROBLEM = {"$ref": "#/components/schemas/ValidationProblem"}
# A fixed budget: the same examples every run, the whole run well under five minutes.
EXAMPLES_PER_OPERATION = 12
SEED = 20261207
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "unsupported_method",
        "allow_header_conformance",
        "schema_valid_requests_are_valid",
    ]
)
CONTRACT_SECONDS = 240


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_error_response_is_a_problem_document(document: dict[str, Any]) -> None:
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = VALIDATION_PROBLEM if status == "422" else PROBLEM
            assert response["content"] == {PROBLEM_CONTENT_TYPE: {"schema": schema}}, (
                method,
                path,
                status,
            )
    schemas = document["components"]["schemas"]
    assert {"Problem", "ValidationProblem"} <= schemas.keys()
    assert "HTTPValidationError" not in schemas


def test_errors_are_declared_where_they_can_happen(document: dict[str, Any]) -> None:
    def statuses(path: str, method: str) -> set[str]:
        return set(document["paths"][path][method]["responses"])

    # Signed in or not, a bad token is refused; only admins may; a stale ETag is refused.
    assert {"401", "422", "503"} <= statuses("/api/v1/recipes", "get")
    assert {"401", "403", "413", "422", "503"} <= statuses("/api/v1/recipes", "post")
    assert {"401", "403", "404", "412", "413", "422"} <= statuses(
        "/api/v1/recipes/{recipe_id}", "patch"
    )
    assert {"401", "403"} <= statuses("/api/v1/admin/users", "get")
    assert "429" in statuses("/api/v1/auth/token", "post")
    # Nothing invented: a route with nothing in its path has no 404 of its own.
    assert "404" not in statuses("/api/v1/users/me", "get")
    responses = document["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert "Retry-After" in responses["429"]["headers"]


def test_the_document_says_how_to_sign_in(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer"}
    me = document["paths"]["/api/v1/users/me"]["get"]
    assert {} not in me["security"]
    listing = document["paths"]["/api/v1/recipes"]["get"]
    assert {} in listing["security"], "signing in is optional for reading public recipes"
    assert "security" not in document["paths"]["/api/v1/auth/token"]["post"]


async def test_a_method_not_allowed_lists_every_method_of_the_address(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.request("OPTIONS", "/api/v1/recipes/1")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, GET, PATCH, PUT"
    assert answer.headers["content-type"] == PROBLEM_CONTENT_TYPE


async def test_a_word_where_an_id_goes_is_another_address(client: httpx.AsyncClient) -> None:
    # /recipes/trash is a list you may only GET; it is no recipe whose id failed to parse.
    answer = await client.put("/api/v1/recipes/trash", json={})
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = {
        # The run signs in and fails sign-ins on purpose; its limits are not under test here.
        "RECIPEVAULT_RATE_LIMIT_LOGIN_PER_ADDRESS": "100000/minute",
        "RECIPEVAULT_RATE_LIMIT_LOGIN_PER_ACCOUNT": "100000/minute",
        "RECIPEVAULT_RATE_LIMIT_RESET_PER_ADDRESS": "100000/minute",
        "RECIPEVAULT_RATE_LIMIT_RESET_PER_ACCOUNT": "100000/minute",
        "RECIPEVAULT_LOCKOUT_THRESHOLD": "100",
    }
    with live_server(tmp_path_factory.mktemp("contract"), settings=settings) as server:
        yield server


CONTRACT_EMAIL = "contract@example.org"
CONTRACT_PASSWORD = "contract tests kitchen"


def _sign_up(server: LiveServer) -> None:
    """An admin with a recipe, so that operations on recipes have one to find."""
    run_cli(
        server,
        *("users", "create", "--email", CONTRACT_EMAIL, "--name", "Contract"),
        *("--password", CONTRACT_PASSWORD, "--admin"),
    )
    token = httpx.post(
        f"{server.url}/api/v1/auth/token",
        data={"username": CONTRACT_EMAIL, "password": CONTRACT_PASSWORD},
    ).json()["access_token"]
    created = httpx.post(
        f"{server.url}/api/v1/recipes",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "title": "Toast",
            "ingredients": [{"text": "2 slices bread"}],
            "steps": [{"text": "Toast it."}],
        },
    )
    assert created.status_code == 201, created.text


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_the_api_keeps_to_its_document(contract_server: LiveServer, signed_in: bool) -> None:
    environment = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.support.contract_hooks"}
    environment.pop("RV_CONTRACT_EMAIL", None)
    if signed_in:
        _sign_up(contract_server)
        environment.update(
            RV_CONTRACT_URL=contract_server.url,
            RV_CONTRACT_EMAIL=CONTRACT_EMAIL,
            RV_CONTRACT_PASSWORD=CONTRACT_PASSWORD,
        )
    command = Path(sys.executable).with_name("st")
    finished = subprocess.run(
        [
            str(command),
            *("run", f"{contract_server.url}/openapi.json"),
            *("--checks", CHECKS),
            *("--phases", "examples,coverage,fuzzing"),
            *("--max-examples", str(EXAMPLES_PER_OPERATION)),
            *("--seed", str(SEED)),
            "--generation-deterministic",
            *("--workers", "2"),
            *("--request-timeout", "30"),
            "--no-color",
            "--output-truncate=true",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=CONTRACT_SECONDS,
        check=False,
    )
    report = finished.stdout[-30_000:] + finished.stderr[-5_000:]
    assert finished.returncode == 0, (
        f"schemathesis found the API and its document disagree:\n{report}\n"
        f"server log:\n{contract_server.log_tail(80)}"
    )
