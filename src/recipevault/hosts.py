"""The names this site answers to.

``HostCheckMiddleware`` refuses a request whose ``Host`` is not one of
``RECIPEVAULT_ALLOWED_HOSTS`` (400 problem+json, like every other error).
"""

from __future__ import annotations

import re
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

from recipevault.errors import problem_body, send_problem

_HOST_HEADER = re.compile(
    r"^(?P<host>[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?$", re.IGNORECASE
)
_KNOWN_HEADERS = 256  # decisions remembered per Host header value, per process


@lru_cache(maxsize=_KNOWN_HEADERS)
def _split_host(header: str) -> tuple[str, int | None] | None:
    """The lower-cased host and the port of a ``Host`` header, or None if it is not one."""
    match = _HOST_HEADER.match(header)
    if match is None:
        return None
    port = match["port"]
    if port is not None and not 0 < int(port) <= 65535:
        return None
    return match["host"].lower(), None if port is None else int(port)


class HostPolicy:
    """Which ``Host`` values the site answers to, from ``RECIPEVAULT_ALLOWED_HOSTS``."""

    def __init__(self, allowed_hosts: list[str]) -> None:
        self.any = "*" in allowed_hosts
        self.named = frozenset(host for host in allowed_hosts if "*" not in host)
        self.suffixes = tuple(host[1:] for host in allowed_hosts if host.startswith("*."))

    def allows(self, header: str | None) -> bool:
        if self.any:
            return True
        parsed = None if header is None else _split_host(header)
        if parsed is None:
            return False
        host = parsed[0]
        return host in self.named or host.endswith(self.suffixes)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class HostCheckMiddleware:
    """Answer only to the allowed hosts; anything else gets 400 problem+json."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str]) -> None:
        self.app = app
        self.policy = HostPolicy(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.policy.any
            or scope["type"] not in ("http", "websocket")
            or self.policy.allows(_header(scope, b"host"))
        ):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        problem = problem_body(
            status=400,
            code="unknown-host",
            title="Unknown host",
            detail="This server does not answer to the host this request names.",
            instance=scope["path"],
        )
        await send_problem(send, problem)
