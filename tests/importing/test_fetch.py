"""Fetching for imports: refused addresses, redirects, limits, timeouts, and the happy path."""

from __future__ import annotations

import dataclasses
import gzip
import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from recipevault import __version__
from recipevault.config import load_settings
from recipevault.importing.draft import SourceRejected
from recipevault.importing.fetch import (
    USER_AGENT,
    Fetched,
    Fetcher,
    FetchKind,
    FetchPolicy,
    fetch,
)
from recipevault.importing.pinning import check_address

LIMIT = 4096
PAGE = "<!doctype html><title>Crème brûlée</title><h1>Crème brûlée</h1>".encode()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)

# 0.0.0.0, spelled so that linters do not take it for a server binding to every interface.
ANY_V4 = str(ipaddress.IPv4Address(0))

FAKE_DNS = {
    "recipes.test": ["127.0.0.1"],
    "localhost": ["127.0.0.1", "::1"],
    "internal.test": ["10.0.0.5"],
    "docker.test": ["172.17.0.1"],
    "router.test": ["192.168.1.1"],
    "metadata.test": ["169.254.169.254"],
    "cgnat.test": ["100.64.12.34"],
    "zero.test": [ANY_V4],
    "loop6.test": ["::1"],
    "ula.test": ["fd00::1"],
    "linklocal6.test": ["fe80::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "nat64.test": ["64:ff9b::a00:1"],
    "mixed.test": ["93.184.216.34", "10.1.2.3"],
    "mixed6.test": ["2606:4700::1111", "fe80::1"],
    "garbage.test": ["not-an-address"],
}


class FakeDns:
    """A resolver answering from FAKE_DNS that remembers every lookup."""

    def __init__(self) -> None:
        self.lookups: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        try:
            return list(FAKE_DNS[host])
        except KeyError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


def make_policy(dns: FakeDns | None = None, **overrides: Any) -> FetchPolicy:
    policy = FetchPolicy(
        allowed_hosts=frozenset({"127.0.0.1", "recipes.test"}),
        timeout_seconds=5.0,
        max_bytes=LIMIT,
        max_redirects=3,
        resolver=dns or FakeDns(),
    )
    return dataclasses.replace(policy, **overrides)


async def rejection(url: str, policy: FetchPolicy, accept: FetchKind = "page") -> str:
    with pytest.raises(SourceRejected) as caught:
        await fetch(url, policy=policy, accept=accept)
    return str(caught.value)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: a body without Content-Length ends when the connection closes.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str | None, **headers: str) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, parts: int, part: bytes, pause: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        try:
            for _ in range(parts):
                self.wfile.write(part)
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            return

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/recipe":
            self._send(200, PAGE, "text/html; charset=utf-8", Content_Length=str(len(PAGE)))
        elif url.path == "/latin1":
            body = '<meta charset="windows-1252"><p>Crème</p>'.encode("cp1252")
            self._send(200, body, "text/html")
        elif url.path == "/headers":
            seen = {name.lower(): value for name, value in self.headers.items()}
            self._send(200, json.dumps(seen).encode(), "application/json")
        elif url.path == "/redirect":
            self._send(302, b"", "text/plain", Location=parse_qs(url.query)["to"][0])
        elif url.path.startswith("/hops/"):
            left = int(url.path.removeprefix("/hops/"))
            if left:
                self._send(302, b"", "text/plain", Location=f"/hops/{left - 1}")
            else:
                self._send(200, PAGE, "text/html")
        elif url.path == "/big-declared":
            self._send(200, b"a" * (LIMIT + 1), "text/html", Content_Length=str(LIMIT + 1))
        elif url.path == "/claims-huge":
            self._send(200, b"<html>", "text/html", Content_Length=str(6 << 20))
        elif url.path == "/big-streamed":
            self._drip(64, b"a" * 1024, 0)
        elif url.path == "/gzip":
            self._send(200, gzip.compress(PAGE), "text/html", Content_Encoding="gzip")
        elif url.path == "/gzip-bomb":
            self._send(200, gzip.compress(bytes(1 << 20)), "text/html", Content_Encoding="gzip")
        elif url.path == "/brotli":
            self._send(200, b"\x1b\x00\x00", "text/html", Content_Encoding="br")
        elif url.path == "/pdf":
            self._send(200, b"%PDF-1.4", "application/pdf")
        elif url.path == "/image":
            self._send(200, PNG, "image/png")
        elif url.path == "/untyped":
            self._send(200, PAGE, None)
        elif url.path == "/slow":
            # One byte every 0.1 s never trips a per-read timeout.
            self._drip(30, b"<", 0.1)
        elif url.path == "/stall":
            time.sleep(1.5)
            self._send(200, PAGE, "text/html")
        else:
            self._send(404, b"not here", "text/plain")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is expected here."""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``host:port`` of a test server listening on 127.0.0.1 only."""
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[str]]]:
    """An https server on 127.0.0.1 with a self-signed certificate for recipes.test, and the
    server names clients asked for."""
    openssl = shutil.which("openssl")
    assert openssl is not None, "the TLS test needs the openssl command (Debian: openssl)"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=recipes.test"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-addext", "subjectAltName=DNS:recipes.test", "-keyout", key, "-out", cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _socket, name, _context: names.append(name or "")
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd.server_port, names
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def port(server: str) -> int:
    return int(server.rpartition(":")[2])


# Addresses


REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.1.2.3", "loopback"),
    ("10.0.0.1", "private"),
    ("10.255.255.254", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),
    (ANY_V4, "unspecified"),
    ("100.64.0.1", "in the carrier-grade NAT range"),
    ("100.127.255.254", "in the carrier-grade NAT range"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.1", "reserved for documentation"),
    ("198.18.0.1", "private"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fd00::1", "private"),
    ("fc00::1", "private"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "reserved for documentation"),
    ("::127.0.0.1", "reserved"),
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_check_address_refuses_non_public_addresses(address: str, reason: str) -> None:
    assert check_address(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_check_address_allows_public_addresses(address: str) -> None:
    assert check_address(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("::ffff:127.0.0.1", "loopback (it stands for 127.0.0.1)"),
        ("::ffff:10.1.2.3", "private (it stands for 10.1.2.3)"),
        ("::ffff:169.254.169.254", "link-local (it stands for 169.254.169.254)"),
        ("64:ff9b::7f00:1", "loopback (it stands for 127.0.0.1)"),
        ("64:ff9b::c0a8:101", "private (it stands for 192.168.1.1)"),
        ("2002:a00:1::1", "private (it stands for 10.0.0.1)"),
        ("2002:a9fe:a9fe::1", "link-local (it stands for 169.254.169.254)"),
    ],
)
def test_embedded_ipv4_addresses_are_judged_by_the_ipv4_address(address: str, reason: str) -> None:
    assert check_address(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.1.2.3", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "link-local"),
        (ANY_V4, "unspecified"),
        ("100.64.0.1", "in the carrier-grade NAT range"),
        ("224.0.0.251", "multicast"),
        ("[::1]", "loopback"),
        ("[fd00::1]", "private"),
        ("[fe80::1]", "link-local"),
        ("[::ffff:127.0.0.1]", "loopback (it stands for 127.0.0.1)"),
        ("[64:ff9b::a00:1]", "private (it stands for 10.0.0.1)"),
    ],
)
async def test_literal_addresses_are_refused_without_a_lookup(host: str, reason: str) -> None:
    dns = FakeDns()
    url = f"http://{host}/latest/meta-data/"
    message = await rejection(url, make_policy(dns, allowed_hosts=frozenset()))
    assert message == f"refused to fetch {url}: the address is {reason}"
    assert dns.lookups == []


@pytest.mark.parametrize(
    ("host", "address", "reason"),
    [
        ("internal.test", "10.0.0.5", "private"),
        ("docker.test", "172.17.0.1", "private"),
        ("router.test", "192.168.1.1", "private"),
        ("metadata.test", "169.254.169.254", "link-local"),
        ("cgnat.test", "100.64.12.34", "in the carrier-grade NAT range"),
        ("zero.test", ANY_V4, "unspecified"),
        ("loop6.test", "::1", "loopback"),
        ("ula.test", "fd00::1", "private"),
        ("linklocal6.test", "fe80::1", "link-local"),
        ("mapped.test", "::ffff:7f00:1", "loopback (it stands for 127.0.0.1)"),
        ("nat64.test", "64:ff9b::a00:1", "private (it stands for 10.0.0.1)"),
        ("localhost", "127.0.0.1", "loopback"),
    ],
)
async def test_names_resolving_to_refused_addresses_are_refused(
    host: str, address: str, reason: str
) -> None:
    message = await rejection(f"https://{host}/recipe", make_policy())
    assert message == (
        f"refused to fetch https://{host}/recipe: {host} resolves to {address}, which is {reason}"
    )


@pytest.mark.parametrize(
    ("host", "refused"), [("mixed.test", "10.1.2.3"), ("mixed6.test", "fe80::1")]
)
async def test_one_refused_address_among_several_refuses_the_name(host: str, refused: str) -> None:
    # The public address comes first; no connection is tried before all are checked.
    message = await rejection(f"http://{host}/", make_policy())
    assert f"{host} resolves to {refused}, which is" in message


async def test_resolver_answer_that_is_not_an_address_is_refused() -> None:
    message = await rejection("http://garbage.test/", make_policy())
    assert message.startswith("refused to fetch http://garbage.test/: garbage.test resolves to")


@pytest.mark.parametrize("host", ["localhost", "2130706433", "0x7f.1", "127.1"])
async def test_system_resolver_spellings_of_loopback_are_refused(host: str) -> None:
    policy = make_policy(resolver=FetchPolicy().resolver, allowed_hosts=frozenset())
    message = await rejection(f"http://{host}/", policy)
    assert message.endswith("which is loopback")


async def test_unknown_name_is_reported() -> None:
    assert await rejection("http://nowhere.test/", make_policy()) == (
        "could not find the address of nowhere.test"
    )


# Fetching from the allow-listed test server


async def test_allow_listed_server_is_fetched(server: str) -> None:
    fetched = await fetch(f"http://{server}/recipe", policy=make_policy(), accept="page")
    assert fetched.url == f"http://{server}/recipe"
    assert fetched.content_type == "text/html"
    assert fetched.charset == "utf-8"
    assert fetched.body == PAGE
    assert "<h1>Crème brûlée</h1>" in fetched.text()


async def test_connection_goes_to_the_checked_address(port: int) -> None:
    # recipes.test exists only in the fake resolver, so reaching the server proves the
    # connection used the address resolved and checked here, with one lookup.
    dns = FakeDns()
    fetched = await fetch(
        f"http://recipes.test:{port}/headers", policy=make_policy(dns), accept="page"
    )
    assert fetched.url == f"http://recipes.test:{port}/headers"
    assert json.loads(fetched.body)["host"] == f"recipes.test:{port}"
    assert dns.lookups == [("recipes.test", port)]


async def test_tls_checks_the_host_name_not_the_address(tls_server: tuple[int, list[str]]) -> None:
    # The connection goes to 127.0.0.1, yet TLS asks for and verifies recipes.test; the
    # self-signed certificate is then refused, as it would be anywhere.
    tls_port, names = tls_server
    message = await rejection(f"https://recipes.test:{tls_port}/recipe", make_policy())
    assert message == "the certificate of recipes.test is not valid"
    assert names == ["recipes.test"]


async def test_allow_list_is_by_host_name(port: int) -> None:
    message = await rejection(f"http://localhost:{port}/recipe", make_policy())
    assert message == (
        f"refused to fetch http://localhost:{port}/recipe: "
        "localhost resolves to 127.0.0.1, which is loopback"
    )


async def test_allow_list_entries_are_normalised(port: int) -> None:
    policy = make_policy(allowed_hosts=frozenset({"127.0.0.1"}))
    dns_policy = dataclasses.replace(
        FetchPolicy.from_settings(load_settings(import_allowed_hosts="Recipes.Test.")),
        resolver=FakeDns(),
    )
    assert policy.allows("127.0.0.1")
    assert dns_policy.allows("recipes.test")
    assert dns_policy.allows("RECIPES.test.")
    fetched = await fetch(f"http://recipes.test:{port}/recipe", policy=dns_policy, accept="page")
    assert fetched.body == PAGE


async def test_user_agent_and_accept_are_sent(server: str) -> None:
    fetched = await fetch(f"http://{server}/headers", policy=make_policy(), accept="page")
    seen = json.loads(fetched.body)
    assert seen["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith(f"RecipeVault/{__version__} (+https://")
    assert seen["accept"].startswith("text/html")
    assert seen["accept-encoding"] == "gzip"


async def test_one_fetcher_serves_many_urls(server: str) -> None:
    async with Fetcher(make_policy()) as fetcher:
        page = await fetcher.fetch(f"http://{server}/recipe", accept="page")
        image = await fetcher.fetch(f"http://{server}/image", accept="image")
        with pytest.raises(SourceRejected):
            await fetcher.fetch("http://internal.test/", accept="page")
        again = await fetcher.fetch(f"http://{server}/gzip", accept="page")
    assert page.body == again.body == PAGE
    assert image.content_type == "image/png"
    assert image.body == PNG


# Redirects


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "http://internal.test/",
            "refused to fetch http://internal.test/: "
            "internal.test resolves to 10.0.0.5, which is private",
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused to fetch http://169.254.169.254/latest/meta-data/: the address is link-local",
        ),
        (
            "http://metadata.test/latest/meta-data/",
            "refused to fetch http://metadata.test/latest/meta-data/: "
            "metadata.test resolves to 169.254.169.254, which is link-local",
        ),
        ("http://[::1]/", "refused to fetch http://[::1]/: the address is loopback"),
        (
            "file:///etc/passwd",
            "refused to fetch file:/etc/passwd: only http and https addresses can be fetched",
        ),
        (
            "gopher://127.0.0.1:6379/_INFO",
            "refused to fetch gopher://127.0.0.1:6379/_INFO: only http and https",
        ),
    ],
)
async def test_redirects_to_refused_addresses_are_refused(
    server: str, target: str, message: str
) -> None:
    url = f"http://{server}/redirect?to={target}"
    assert (await rejection(url, make_policy())).startswith(message)


async def test_redirect_to_a_name_resolving_to_the_allowed_address_is_still_refused(
    server: str, port: int
) -> None:
    url = f"http://{server}/redirect?to=http://localhost:{port}/recipe"
    assert await rejection(url, make_policy()) == (
        f"refused to fetch http://localhost:{port}/recipe: "
        "localhost resolves to 127.0.0.1, which is loopback"
    )


async def test_redirects_are_followed_and_checked_each_time(server: str, port: int) -> None:
    dns = FakeDns()
    url = f"http://{server}/redirect?to=http://recipes.test:{port}/hops/2"
    fetched = await fetch(url, policy=make_policy(dns), accept="page")
    assert fetched.url == f"http://recipes.test:{port}/hops/0"
    assert fetched.body == PAGE


async def test_redirects_up_to_the_limit_are_followed(server: str) -> None:
    fetched = await fetch(f"http://{server}/hops/3", policy=make_policy(), accept="page")
    assert fetched.url == f"http://{server}/hops/0"


async def test_too_many_redirects(server: str) -> None:
    message = await rejection(f"http://{server}/hops/4", make_policy())
    assert message == "too many redirects (more than 3)"
    message = await rejection(f"http://{server}/hops/1", make_policy(max_redirects=0))
    assert message == "too many redirects (more than 0)"


# Limits, types and failures


@pytest.mark.parametrize("path", ["/big-declared", "/big-streamed", "/gzip-bomb"])
async def test_body_over_the_limit_is_refused(server: str, path: str) -> None:
    message = await rejection(f"http://{server}{path}", make_policy())
    assert message == "the page is larger than 4 KB"


async def test_declared_length_is_refused_before_reading(server: str) -> None:
    # The server claims 6 MB and sends a few bytes: the header alone decides.
    policy = FetchPolicy.from_settings(load_settings(import_allowed_hosts="127.0.0.1"))
    message = await rejection(f"http://{server}/claims-huge", policy)
    assert message == "the page is larger than 5 MB"
    fetched = await fetch(f"http://{server}/big-streamed", policy=policy, accept="page")
    assert len(fetched.body) == 64 * 1024


async def test_image_over_the_limit_says_image(server: str) -> None:
    message = await rejection(f"http://{server}/image", make_policy(max_bytes=16), "image")
    assert message == "the image is larger than 16 bytes"


async def test_gzip_body_is_decompressed(server: str) -> None:
    fetched = await fetch(f"http://{server}/gzip", policy=make_policy(), accept="page")
    assert fetched.body == PAGE


async def test_unknown_compression_is_refused(server: str) -> None:
    message = await rejection(f"http://{server}/brotli", make_policy())
    assert message == "the page came compressed as br, which cannot be read"


@pytest.mark.parametrize(
    ("path", "accept", "message"),
    [
        ("/pdf", "page", "expected a web page but got application/pdf"),
        ("/image", "page", "expected a web page but got image/png"),
        ("/recipe", "image", "expected an image but got text/html"),
        ("/untyped", "page", "expected a web page but the site did not say what it sent"),
    ],
)
async def test_wrong_content_type_is_refused(
    server: str, path: str, accept: FetchKind, message: str
) -> None:
    assert await rejection(f"http://{server}{path}", make_policy(), accept) == message


async def test_error_status_is_reported(server: str) -> None:
    message = await rejection(f"http://{server}/missing", make_policy())
    assert message == "127.0.0.1 answered 404 Not Found"


@pytest.mark.parametrize("path", ["/slow", "/stall"])
async def test_slow_server_times_out(server: str, path: str) -> None:
    started = time.monotonic()
    message = await rejection(f"http://{server}{path}", make_policy(timeout_seconds=0.5))
    assert message == "timed out after 0.5 s"
    assert time.monotonic() - started < 1.5


async def test_closed_port_cannot_be_connected_to() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    message = await rejection(f"http://127.0.0.1:{closed_port}/", make_policy())
    assert message == "could not connect to 127.0.0.1"


WEB_ONLY = "only http and https addresses can be fetched"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", f"refused to fetch file:///etc/passwd: {WEB_ONLY}"),
        (
            "ftp://example.org/recipe.txt",
            f"refused to fetch ftp://example.org/recipe.txt: {WEB_ONLY}",
        ),
        ("gopher://example.org:70/1", f"refused to fetch gopher://example.org:70/1: {WEB_ONLY}"),
        ("data:text/html,<h1>x</h1>", f"refused to fetch data:text/html,<h1>x</h1>: {WEB_ONLY}"),
        ("javascript:alert(1)", f"refused to fetch javascript:alert(1): {WEB_ONLY}"),
        ("example.org/recipe", "example.org/recipe is not a web address"),
        ("http://", "http:// has no host name"),
    ],
)
async def test_only_web_addresses_are_fetched(url: str, message: str) -> None:
    dns = FakeDns()
    assert await rejection(url, make_policy(dns)) == message
    assert dns.lookups == []


# Policy and text


def test_policy_from_settings() -> None:
    settings = load_settings(
        import_allowed_hosts="Intranet.Example., [fd00::10], 10.0.0.7",
        fetch_timeout_seconds=2.5,
        fetch_max_bytes=2048,
        fetch_max_redirects=2,
    )
    policy = FetchPolicy.from_settings(settings)
    assert policy.allowed_hosts == {"intranet.example", "fd00::10", "10.0.0.7"}
    assert (policy.timeout_seconds, policy.max_bytes, policy.max_redirects) == (2.5, 2048, 2)
    assert policy.allows("fd00::10")
    assert not policy.allows("example.org")


async def test_allow_listed_private_address_is_fetched_even_via_redirect(server: str) -> None:
    # The test server is 127.0.0.1 and allowed; the same policy refuses every other loopback.
    url = f"http://{server}/redirect?to=/recipe"
    fetched = await fetch(url, policy=make_policy(), accept="page")
    assert fetched.url == f"http://{server}/recipe"


@pytest.mark.parametrize(
    ("fetched", "text"),
    [
        (Fetched("u", "text/html", "Crème".encode(), "utf-8"), "Crème"),
        (Fetched("u", "text/html", "Crème".encode("cp1252"), "iso-8859-1"), "Crème"),
        (Fetched("u", "text/html", b"\xef\xbb\xbfCr\xc3\xa8me", "iso-8859-1"), "Crème"),
        (Fetched("u", "text/html", "Crème".encode("utf-16"), None), "Crème"),
        (Fetched("u", "text/html", "Crème".encode()), "Crème"),
        (Fetched("u", "text/plain", "Crème".encode("cp1252")), "Crème"),
        (Fetched("u", "text/html", "Crème".encode(), "no-such-charset"), "Crème"),
        (
            Fetched("u", "text/html", '<meta charset="windows-1252">Crème'.encode("cp1252")),
            '<meta charset="windows-1252">Crème',
        ),
    ],
)
def test_text_is_decoded_as_browsers_do(fetched: Fetched, text: str) -> None:
    assert fetched.text() == text


async def test_meta_charset_is_used_when_the_header_has_none(server: str) -> None:
    fetched = await fetch(f"http://{server}/latin1", policy=make_policy(), accept="page")
    assert fetched.charset is None
    assert fetched.text().endswith("<p>Crème</p>")
