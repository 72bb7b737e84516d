"""Schemathesis hooks for the API contract test (``tests/http/test_openapi.py``), loaded by the
``st`` command through ``SCHEMATHESIS_HOOKS``.

- With ``RV_CONTRACT_EMAIL`` and ``RV_CONTRACT_PASSWORD`` set, every request is signed in with an
  access token from the password grant (an API token could be revoked by the run itself).
- ``schema_valid_requests_are_valid`` stands in for schemathesis' ``positive_data_acceptance``:
  a request the schema allows may still be refused for what it refers to (an expired link, a
  taken email, a page with no recipe on it), each with a problem type of its own, but never as
  invalid input, which would mean the schema promised more than the API accepts (rules that
  relate two fields of one object are beyond what a schema can say).
"""

from __future__ import annotations

import os
from typing import Any

# Imported here, before schemathesis starts its worker threads: two threads importing anyio
# for the first time at once can crash CPython 3.11's compiler ("AST constructor recursion").
import anyio  # noqa: F401
import httpx
import schemathesis

VALIDATION_ERROR = "urn:recipevault:problem:validation-error"

if os.environ.get("RV_CONTRACT_EMAIL"):

    @schemathesis.auth(refresh_interval=600)
    class SignedIn:
        def get(self, case: Any, context: Any) -> str:
            base = os.environ["RV_CONTRACT_URL"]
            answer = httpx.post(
                f"{base}/api/v1/auth/token",
                data={
                    "username": os.environ["RV_CONTRACT_EMAIL"],
                    "password": os.environ["RV_CONTRACT_PASSWORD"],
                },
                timeout=30,
            )
            answer.raise_for_status()
            return str(answer.json()["access_token"])

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _at(document: Any, path: list[str]) -> Any:
    for step in path:
        if isinstance(document, dict):
            document = document.get(step)
        elif isinstance(document, list) and step.isdigit() and int(step) < len(document):
            document = document[int(step)]
        else:
            return None
    return document


def _beyond_a_schema(error: dict[str, Any], case: Any) -> bool:
    """A rule about an object as a whole (a range's end not below its start): JSON Schema
    describes each field, and cannot say how two of them relate."""
    location = error.get("location") or []
    return (
        error.get("type") == "value_error"
        and location[:1] == ["body"]
        and isinstance(_at(case.body, location[1:]), dict)
    )


@schemathesis.check
def schema_valid_requests_are_valid(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        problem = response.json()
    except ValueError:
        return None
    if problem.get("type") != VALIDATION_ERROR:
        return None
    errors = problem.get("errors") or [{}]
    if all(_beyond_a_schema(error, case) for error in errors):
        return None
    raise AssertionError(
        "A request the schema allows was refused as invalid input: the schema must say "
        f"what the API accepts.\n{response.text[:2000]}"
    )
