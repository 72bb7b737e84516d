"""The names this site answers to, and the address its links start with.

``HostCheckMiddleware`` refuses a request whose ``Host`` is not one of
``RECIPEVAULT_ALLOWED_HOSTS`` (400 problem+json, like every other error).

``site_url`` is where links to the site start (in mails, invites, JSON-LD): the
``RECIPEVAULT_PUBLIC_URL`` when it is set; otherwise the address the request came to (scheme,
after trusted proxies' ``X-Forwarded-Proto``, and ``Host``), but only when that ``Host`` is
one the allowed hosts name exactly. A wildcard would let whoever sends the request choose the
host a password reset link points at, so with a wildcard the public URL must be set (the
settings refuse to load otherwise). Outside a request (jobs, commands) the address the server
listens on is used.
"""

from __future__ import annotations

import re
from functools import lru_cache

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from recipevault.config import Settings
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

    def named_authority(self, header: str | None) -> str | None:
        """``host[:port]`` of a ``Host`` header naming an allowed host exactly, else None."""
        parsed = None if header is None else _split_host(header)
        if parsed is None or parsed[0] not in self.named:
            return None
        host, port = parsed
        return host if port is None else f"{host}:{port}"


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


# The policy of the settings last asked about: one app's, in practice. Held with the list it
# was made from, so the identity check cannot be fooled by a new list at a reused address.
_last_policy: tuple[list[str], HostPolicy] | None = None


def _policy(allowed_hosts: list[str]) -> HostPolicy:
    global _last_policy
    if _last_policy is None or _last_policy[0] is not allowed_hosts:
        _last_policy = (allowed_hosts, HostPolicy(allowed_hosts))
    return _last_policy[1]


def site_url(settings: Settings, request: Request | None = None) -> str:
    """Where links to this site start, without a trailing slash (see the module's notes)."""
    if settings.public_url is not None:
        return settings.public_url
    if request is not None:
        scope = request.scope
        authority = _policy(settings.allowed_hosts).named_authority(_header(scope, b"host"))
        if authority is not None:
            return f"{scope['scheme']}://{authority}{scope.get('root_path', '')}"
    return settings.listen_url
