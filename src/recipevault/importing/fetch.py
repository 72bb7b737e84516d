"""Fetching pages and images for imports without letting a URL reach private networks.

A person who imports from a URL chooses where this server connects, so every connection is
checked: the host name is resolved here, every address it resolves to must be public, and the
connection goes to that checked address (TLS still verifies the host name), so a DNS answer
cannot change between the check and the connect. Hosts in ``import_allowed_hosts`` skip the
address check, for intranets. Any port may be used: a public address is reachable by anyone
already, and the address check is what keeps internal services out of reach.
"""

from __future__ import annotations

import codecs
import re
import ssl
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, Self

import anyio
import httpx

from recipevault import __version__
from recipevault.config import Settings
from recipevault.importing.draft import SourceRejected
from recipevault.importing.pinning import (
    AddressRefused,
    PinnedTransport,
    Resolver,
    normalize_host,
    resolve_host,
)

USER_AGENT = f"RecipeVault/{__version__} (+https://github.com/recipevault)"

FetchKind = Literal["page", "image"]

PAGE_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "application/ld+json", "application/json", "text/plain"}
)
_ACCEPT = {
    "page": "text/html,application/xhtml+xml,application/ld+json;q=0.9,"
    "application/json;q=0.8,text/plain;q=0.5",
    "image": "image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8",
}
_WHAT = {"page": ("a web page", "page"), "image": ("an image", "image")}


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """What fetching may do: which hosts skip the address check, and how long and how much."""

    allowed_hosts: frozenset[str] = frozenset()
    timeout_seconds: float = 15.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    resolver: Resolver = field(default=resolve_host)

    @classmethod
    def from_settings(cls, settings: Settings, *, resolver: Resolver = resolve_host) -> Self:
        return cls(
            allowed_hosts=frozenset(normalize_host(host) for host in settings.import_allowed_hosts),
            timeout_seconds=settings.fetch_timeout_seconds,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            resolver=resolver,
        )

    def allows(self, host: str) -> bool:
        """Whether ``host`` (as written in a URL) may resolve to a private address."""
        return normalize_host(host) in self.allowed_hosts


class SiteUnavailable(SourceRejected):
    """The site could not be reached just now (a timeout, a dropped connection, a 5xx or 429
    answer): worth trying again later, unlike a refusal."""


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# Browsers read pages labelled with these as windows-1252, and such pages rely on it.
_WINDOWS_1252 = frozenset({"iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"})


@dataclass(frozen=True, slots=True)
class Fetched:
    """A page or image as received: where it ended up, what it is, and its bytes."""

    url: str
    content_type: str
    body: bytes
    charset: str | None = None

    def text(self) -> str:
        """The body as text: by its byte order mark, declared charset, or UTF-8, as browsers do."""
        for encoding in self._encodings():
            try:
                return self.body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
        return self.body.decode("cp1252", errors="replace")

    def _encodings(self) -> Iterator[str]:
        for bom, encoding in _BOMS:
            if self.body.startswith(bom):
                yield encoding
        declared = self.charset
        is_html = self.content_type in ("text/html", "application/xhtml+xml")
        if declared is None and is_html and (match := _META_CHARSET.search(self.body[:1024])):
            declared = match.group(1).decode("ascii")
        if declared:
            declared = declared.lower()
            yield "cp1252" if declared in _WINDOWS_1252 else declared
        yield "utf-8"


def _size(limit: int) -> str:
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if limit >= scale:
            return f"{round(limit / scale, 1):g} {unit}"
    return f"{limit} bytes"


def _timed_out(seconds: float) -> str:
    return f"timed out after {seconds:g} s"


def _web_address(url: str | httpx.URL) -> httpx.URL:
    try:
        parsed = httpx.URL(url.strip() if isinstance(url, str) else url)
    except httpx.InvalidURL:
        raise SourceRejected(f"{url} is not a valid web address") from None
    if parsed.scheme not in ("http", "https"):
        if parsed.scheme:
            raise SourceRejected(
                f"refused to fetch {url}: only http and https addresses can be fetched"
            )
        raise SourceRejected(f"{url} is not a web address")
    if not parsed.host:
        raise SourceRejected(f"{url} has no host name")
    return parsed


def _redirect_target(url: httpx.URL, location: str) -> httpx.URL:
    try:
        target = url.join(location)
    except httpx.InvalidURL:
        raise SourceRejected(f"{url.host} redirected to an invalid address") from None
    return _web_address(target)


def _content_type(header: str | None) -> tuple[str, str | None]:
    media, _, params = (header or "").partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        value = value.strip().strip("\"'")
        if name.strip().lower() == "charset" and value:
            charset = value.lower()
    return media.strip().lower(), charset


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    cause: BaseException | None = exc
    for _ in range(10):
        if cause is None:
            return False
        if isinstance(cause, kind):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _transient(exc: httpx.HTTPError) -> bool:
    if isinstance(exc, httpx.ConnectError):
        return not _caused_by(exc, ssl.SSLError)
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError)


def _describe(exc: httpx.HTTPError, url: httpx.URL, timeout: float) -> str:
    host = url.host
    if isinstance(exc, httpx.TimeoutException):
        return _timed_out(timeout)
    if isinstance(exc, httpx.ConnectError):
        if _caused_by(exc, ssl.SSLCertVerificationError):
            return f"the certificate of {host} is not valid"
        if _caused_by(exc, ssl.SSLError):
            return f"could not connect securely to {host}"
        return f"could not connect to {host}"
    if isinstance(exc, httpx.NetworkError):
        return f"the connection to {host} broke off"
    return f"{host} sent an answer that could not be read"


async def _read_body(response: httpx.Response, *, limit: int, noun: str) -> bytes:
    """The decoded body, refused as soon as it grows past ``limit`` (gzip bombs included)."""
    too_large = SourceRejected(f"the {noun} is larger than {_size(limit)}")
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    elif encoding not in ("", "identity"):
        raise SourceRejected(f"the {noun} came compressed as {encoding}, which cannot be read")
    else:
        inflater = None
    body = bytearray()
    try:
        async for raw in response.aiter_raw():
            # One byte over the room left is enough to know the limit is passed.
            chunk = inflater.decompress(raw, limit - len(body) + 1) if inflater else raw
            body += chunk
            if len(body) > limit:
                raise too_large
        if inflater:
            body += inflater.flush()
    except zlib.error:
        raise SourceRejected(f"the {noun} came damaged in its compression") from None
    if len(body) > limit:
        raise too_large
    return bytes(body)


async def _accept(response: httpx.Response, kind: FetchKind, limit: int) -> Fetched:
    if response.status_code >= 500 or response.status_code == 429:
        raise SiteUnavailable(
            f"{response.url.host} answered {response.status_code} {response.reason_phrase}"
        )
    if not response.is_success:
        raise SourceRejected(
            f"{response.url.host} answered {response.status_code} {response.reason_phrase}"
        )
    media, charset = _content_type(response.headers.get("content-type"))
    what, noun = _WHAT[kind]
    if not media:
        raise SourceRejected(f"expected {what} but the site did not say what it sent")
    if not (media in PAGE_TYPES if kind == "page" else media.startswith("image/")):
        raise SourceRejected(f"expected {what} but got {media}")
    body = await _read_body(response, limit=limit, noun=noun)
    return Fetched(url=str(response.url), content_type=media, body=body, charset=charset)


class Fetcher:
    """One HTTP client shared by many fetches (a bulk import): ``async with Fetcher(policy)``."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self._client = httpx.AsyncClient(
            transport=PinnedTransport(allows=policy.allows, resolver=policy.resolver),
            follow_redirects=False,
            # Proxies and CA bundles named in the environment are not used.
            trust_env=False,
            timeout=httpx.Timeout(policy.timeout_seconds),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"},
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, *, accept: FetchKind) -> Fetched:
        """Fetch ``url``, following redirects, or raise SourceRejected saying why not."""
        try:
            # Per-read timeouts miss a server that sends one byte at a time; this does not.
            with anyio.fail_after(self.policy.timeout_seconds):
                return await self._follow(_web_address(url), accept)
        except TimeoutError:
            raise SiteUnavailable(_timed_out(self.policy.timeout_seconds)) from None

    async def _follow(self, url: httpx.URL, kind: FetchKind) -> Fetched:
        headers = {"Accept": _ACCEPT[kind]}
        for _ in range(self.policy.max_redirects + 1):
            try:
                async with self._client.stream("GET", url, headers=headers) as response:
                    if not response.is_redirect:
                        return await _accept(response, kind, self.policy.max_bytes)
                    location = response.headers["location"]
            except AddressRefused as exc:
                raise SourceRejected(f"refused to fetch {url}: {exc}") from None
            except httpx.HTTPError as exc:
                message = _describe(exc, url, self.policy.timeout_seconds)
                if _transient(exc):
                    raise SiteUnavailable(message) from exc
                raise SourceRejected(message) from exc
            url = _redirect_target(url, location)
        raise SourceRejected(f"too many redirects (more than {self.policy.max_redirects})")


async def fetch(url: str, *, policy: FetchPolicy, accept: FetchKind) -> Fetched:
    """Fetch one page or image; a bulk import should share one ``Fetcher`` instead."""
    async with Fetcher(policy) as fetcher:
        return await fetcher.fetch(url, accept=accept)
