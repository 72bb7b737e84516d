"""Schemathesis hooks for the API contract test (``tests/test_openapi.py``), loaded by the
``st`` command through ``SCHEMATHESIS_HOOKS``.

- With ``RV_CONTRACT_EMAIL`` and ``RV_CONTRACT_PASSWORD`` set, every request is signed in with an
  access token from the password grant (an API token could be revoked by the run itself).
- ``schema_valid_requests_are_valid`` stands in for schemathesis' ``positive_data_acceptance``:
  a request the schema allows may still be refused for what it refers to (an expired link, a
  taken email, a page with no recipe on it), each with a problem type of its own, but never as
  invalid input, which would mean the schema promised more than the API accepts.
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


@schemathesis.check
def schema_valid_requests_are_valid(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        problem_type = response.json().get("type")
    except ValueError:
        problem_type = None
    if problem_type == VALIDATION_ERROR:
        raise AssertionError(
            "A request the schema allows was refused as invalid input: the schema must say "
            f"what the API accepts.\n{response.text[:2000]}"
        )
    return None
