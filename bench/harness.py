"""Start servers on 127.0.0.1 and put a bounded load on them.

A figure from one run only means something next to a figure from the same run, so this module
makes pairs cheap: two servers started with identical uvicorn options, and one load function used
for both sides. Everything is bounded: servers must answer within a deadline and are stopped by
their pid on the way out (also on errors and Ctrl-C), loads end after a fixed duration, and only
127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
# Variables that would make a server read something other than what the bench hands it.
INHERITED_PREFIXES = ("RECIPEVAULT_", "PROMETHEUS_MULTIPROC_DIR")

Client = Literal["auto", "wrk", "httpx"]


class BenchError(RuntimeError):
    """A failure the person running the bench must see in one message, after which it stops."""


# --- servers -----------------------------------------------------------------------------------


def clean_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """The current environment without RecipeVault settings, plus ``overrides``.

    A ``RECIPEVAULT_REDIS_URL`` or ``.env``-style variable left in a shell would silently change
    what is measured, so the bench states every setting it depends on.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_PREFIXES)}
    env.update(overrides)
    return env


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class ServerSpec:
    """What to serve; the uvicorn options are not here because both sides of a pair share them."""

    name: str
    target: str
    ready_path: str
    env: Mapping[str, str] = field(default_factory=dict)
    app_dir: Path | None = None
    workers: int = 1


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    pid: int
    log_path: Path


def uvicorn_command(spec: ServerSpec, port: int) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", spec.target, "--host", HOST, "--port", str(port)]
    command += ["--workers", str(spec.workers), "--no-access-log", "--log-level", "warning"]
    # uvicorn[standard] provides both; naming them makes a missing one an error, not a slowdown.
    command += ["--loop", "uvloop", "--http", "httptools"]
    if spec.app_dir is not None:
        command += ["--app-dir", str(spec.app_dir)]
    return command


@contextmanager
def running_server(
    spec: ServerSpec, *, work_dir: Path, startup_timeout_s: float = STARTUP_TIMEOUT_S
) -> Iterator[Server]:
    """Serve ``spec`` until the block ends; the process is stopped whatever happens inside."""
    port = free_port()
    log_path = work_dir / f"{spec.name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter with arguments we built
            uvicorn_command(spec, port),
            cwd=work_dir,  # no stray .env or ./var from the caller's directory
            env=clean_environment(spec.env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C reaches only us, and we decide how it stops.
            start_new_session=True,
        )
    try:
        base_url = f"http://{HOST}:{port}"
        wait_until_ready(process, base_url + spec.ready_path, log_path, startup_timeout_s)
        yield Server(name=spec.name, base_url=base_url, pid=process.pid, log_path=log_path)
    finally:
        stop_process(process)


def wait_until_ready(
    process: subprocess.Popen[bytes], url: str, log_path: Path, timeout_s: float
) -> None:
    """Poll ``url`` until it answers 200, the process dies, or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=1.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"server exited with {process.returncode}:\n{_tail(log_path)}")
            try:
                if client.get(url).status_code == httpx.codes.OK:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise BenchError(f"{url} did not answer 200 within {timeout_s:.0f} s:\n{_tail(log_path)}")


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM by pid (uvicorn shuts down gracefully), then SIGKILL to its group if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        # Still unreaped, so the pid (and the group it leads) cannot have been reused yet.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)


def _tail(path: Path, limit: int = 2000) -> str:
    return path.read_text(errors="replace")[-limit:].strip() if path.exists() else ""


# --- what to send ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    path: str
    body: bytes | None = None


@dataclass(frozen=True)
class Load:
    """Requests every connection cycles through in order, so reads spread over many rows."""

    requests: tuple[Request, ...]
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def get(cls, *paths: str, headers: Mapping[str, str] | None = None) -> Load:
        return cls(tuple(Request(path) for path in paths), "GET", dict(headers or {}))

    @classmethod
    def post_json(
        cls, path: str, bodies: Sequence[object], headers: Mapping[str, str] | None = None
    ) -> Load:
        encoded = tuple(Request(path, json.dumps(body).encode()) for body in bodies)
        return cls(encoded, "POST", {"Content-Type": "application/json", **(headers or {})})


@dataclass(frozen=True)
class LoadOptions:
    duration_s: float = 10.0
    connections: int = 32
    threads: int = 1
    timeout_s: float = 5.0
    # Only the Python client needs a count bound; wrk is bounded by its duration alone.
    max_requests: int = 1_000_000
    client: Client = "auto"


@dataclass(frozen=True)
class LoadResult:
    """One measured run. ``error_responses`` counts statuses ≥ 400 (what wrk prints as
    "Non-2xx or 3xx responses"); ``socket_errors`` adds up connect/read/write errors and
    timeouts."""

    client: str
    requests: int
    duration_s: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    error_responses: int
    socket_errors: int

    @classmethod
    def timed(
        cls, client: str, latencies_ms: list[float], elapsed_s: float, errors: Mapping[str, int]
    ) -> LoadResult:
        """The figures of a Python client's run: every answered request's latency, the time it
        took, and its ``status`` and ``socket`` error counts."""
        latencies_ms.sort()
        return cls(
            client=client,
            requests=len(latencies_ms),
            duration_s=elapsed_s,
            requests_per_second=len(latencies_ms) / elapsed_s if elapsed_s > 0 else 0.0,
            p50_ms=percentile(latencies_ms, 50),
            p99_ms=percentile(latencies_ms, 99),
            error_responses=errors["status"],
            socket_errors=errors["socket"],
        )


@dataclass(frozen=True)
class Timings:
    """Every answered request's latency in a run, how long the run took, and its errors: what
    a ``LoadResult`` is computed from, kept so that several runs can be read as one."""

    client: str
    latencies_ms: tuple[float, ...]
    elapsed_s: float
    errors: Mapping[str, int]

    def result(self) -> LoadResult:
        return LoadResult.timed(self.client, list(self.latencies_ms), self.elapsed_s, self.errors)


def pooled(runs: Sequence[Timings]) -> LoadResult:
    """The figures of several runs of one client as if they were one: percentiles over all
    their requests, requests/s over their summed time.

    A p99 over five rounds of 2,000 requests is the 100th slowest of 10,000, where each round's
    own p99 is its 20th slowest, so one stall of the machine in one round no longer sets it."""
    if not runs:
        raise BenchError("nothing to pool")
    if len({run.client for run in runs}) > 1:
        raise BenchError("runs of different clients (or rates) cannot be pooled")
    return Timings(
        runs[0].client,
        tuple(latency for run in runs for latency in run.latencies_ms),
        sum(run.elapsed_s for run in runs),
        {key: sum(run.errors[key] for run in runs) for key in ("status", "socket")},
    ).result()


def first_statuses(base_url: str, load: Load, limit: int = 100) -> list[tuple[str, int]]:
    """Each distinct request once, so a broken endpoint is reported instead of timed."""
    _require_local(base_url)
    statuses: list[tuple[str, int]] = []
    with httpx.Client(base_url=base_url, timeout=30.0, trust_env=False) as client:
        for request in load.requests[:limit]:
            response = client.request(
                load.method, request.path, content=request.body, headers=dict(load.headers)
            )
            statuses.append((request.path, response.status_code))
    return statuses


def measure(base_url: str, load: Load, options: LoadOptions, *, warmup_s: float) -> LoadResult:
    """A short untimed run (connection pools, caches, lazy imports), then the measured one."""
    if warmup_s > 0:
        run_load(base_url, load, replace(options, duration_s=warmup_s))
    return run_load(base_url, load, options)


def run_load(base_url: str, load: Load, options: LoadOptions) -> LoadResult:
    _require_local(base_url)
    if not load.requests:
        raise BenchError("a load needs at least one request")
    wrk = shutil.which("wrk")
    if options.client == "wrk" and wrk is None:
        raise BenchError("wrk is not installed (Debian package 'wrk'); use --client httpx")
    if options.client != "httpx" and wrk is not None:
        return run_wrk(wrk, base_url, load, options)
    return asyncio.run(run_httpx(base_url, load, options))


def _require_local(base_url: str) -> None:
    if urlsplit(base_url).hostname != HOST:
        raise BenchError(f"refusing to load {base_url}: the bench only talks to {HOST}")


# --- wrk ---------------------------------------------------------------------------------------


def lua_string(value: str | bytes) -> str:
    """A Lua string literal; anything but plain printable ASCII becomes a 3-digit escape."""
    raw = value.encode() if isinstance(value, str) else value
    safe = (chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in raw)
    return '"' + "".join(safe) + '"'


def wrk_script(load: Load) -> str:
    """Pre-built requests in ``init`` (wrk's advice for fast servers), cycled by ``request``."""
    lines = [f"wrk.method = {lua_string(load.method)}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in load.headers.items()]
    paths = ", ".join(lua_string(r.path) for r in load.requests)
    bodies = ", ".join("false" if r.body is None else lua_string(r.body) for r in load.requests)
    lines += [
        f"local paths = {{{paths}}}",
        f"local bodies = {{{bodies}}}",
        "local requests = {}",
        "local index = 0",
        "function init(args)",
        "  for i, path in ipairs(paths) do",
        "    requests[i] = wrk.format(nil, path, nil, bodies[i] or nil)",
        "  end",
        "end",
        "function request()",
        "  index = index % #requests + 1",
        "  return requests[index]",
        "end",
    ]
    return "\n".join(lines) + "\n"


def run_wrk(wrk: str, base_url: str, load: Load, options: LoadOptions) -> LoadResult:
    # Every run goes through a script, so both sides of a pair pay the same client cost.
    duration = max(1, math.ceil(options.duration_s))
    threads = max(1, min(options.threads, options.connections))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as script:
        script.write(wrk_script(load))
        script.flush()
        command = [wrk, "--latency", "-t", str(threads), "-c", str(options.connections)]
        command += ["-d", f"{duration}s", "--timeout", f"{math.ceil(options.timeout_s)}s"]
        command += ["-s", script.name, base_url + load.requests[0].path]
        try:
            completed = subprocess.run(  # noqa: S603 - wrk resolved on PATH, arguments built here
                command,
                capture_output=True,
                text=True,
                timeout=duration + options.timeout_s + 30,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BenchError(f"wrk did not finish a {duration} s run in time") from None
    if completed.returncode != 0:
        raise BenchError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_wrk_output(completed.stdout)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_TIME_UNITS = "|".join(sorted(_UNITS_MS, key=len, reverse=True))


def _percentile_ms(text: str, percent: str) -> float:
    found = re.search(rf"^\s*{percent}%\s+([\d.]+)({_TIME_UNITS})\s*$", text, re.MULTILINE)
    if not found:
        raise BenchError(f"no {percent}% latency in wrk output:\n{text}")
    return float(found.group(1)) * _UNITS_MS[found.group(2)]


def parse_wrk_output(text: str) -> LoadResult:
    """The figures of ``wrk --latency``'s report."""
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+)", text, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    if not total or not rate:
        raise BenchError(f"unexpected wrk output:\n{text}")
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    statuses = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return LoadResult(
        client="wrk",
        requests=int(total.group(1)),
        duration_s=float(total.group(2)) * _UNITS_MS.get(total.group(3), 1000.0) / 1000,
        requests_per_second=float(rate.group(1)),
        p50_ms=_percentile_ms(text, "50"),
        p99_ms=_percentile_ms(text, "99"),
        error_responses=int(statuses.group(1)) if statuses else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


# --- fixed rate --------------------------------------------------------------------------------
#
# wrk keeps every connection busy: the server is saturated, and its p99 is then mostly how the
# event loop orders 32 waiting requests, which moves several-fold between identical runs. Latency
# is measured instead at a fixed request rate below saturation (open loop, as wrk2 does): request
# i is queued at start + i / rate whatever happened to the ones before, and its latency runs from
# then, so a stall is charged to every request that waited behind it for a free connection.


def _request_bytes(base_url: str, load: Load) -> tuple[bytes, ...]:
    host = urlsplit(base_url).netloc
    built = []
    for request in load.requests:
        lines = [f"{load.method} {request.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in load.headers.items()]
        if request.body is not None:
            lines.append(f"Content-Length: {len(request.body)}")
        built.append(("\r\n".join(lines) + "\r\n\r\n").encode() + (request.body or b""))
    return tuple(built)


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response off ``reader``; its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # no trailers are sent to us; the closing empty line
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status


async def _paced(base_url: str, load: Load, rate: float, options: LoadOptions) -> Timings:
    requests = _request_bytes(base_url, load)
    total = min(options.max_requests, max(1, math.floor(rate * options.duration_s)))
    due: asyncio.Queue[float | None] = asyncio.Queue()
    latencies: list[float] = []
    errors = {"status": 0, "socket": 0}
    parts = urlsplit(base_url)
    sent = 0

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(parts.hostname, parts.port)

    async def connection(
        reader: asyncio.StreamReader | None, writer: asyncio.StreamWriter | None
    ) -> None:
        nonlocal sent
        while (queued := await due.get()) is not None:
            data = requests[sent % len(requests)]
            sent += 1
            try:
                async with asyncio.timeout(options.timeout_s):
                    if reader is None or writer is None:  # the last request failed
                        reader, writer = await connect()
                    writer.write(data)
                    status = await _read_response(reader)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                errors["socket"] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            latencies.append((time.perf_counter() - queued) * 1000)
            if status >= httpx.codes.BAD_REQUEST:
                errors["status"] += 1
        if writer is not None:
            writer.close()

    try:  # connected before the clock starts: connecting is not what is measured
        async with asyncio.timeout(options.timeout_s):
            streams = [await connect() for _ in range(options.connections)]
    except (OSError, TimeoutError) as exc:
        raise BenchError(f"cannot connect to {base_url}: {exc!r}") from None
    workers = [asyncio.create_task(connection(*stream)) for stream in streams]
    started = time.perf_counter()
    try:
        async with asyncio.timeout(options.duration_s + options.timeout_s + 10):
            for index in range(total):
                scheduled = started + index / rate
                if (wait := scheduled - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                # From now, not from ``scheduled``: a timer firing late is the client's delay.
                due.put_nowait(time.perf_counter())
            for _ in workers:
                due.put_nowait(None)
            await asyncio.gather(*workers)
    except TimeoutError:  # far behind the rate: what is still queued or in flight timed out
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        errors["socket"] = total - len(latencies)
    elapsed_s = time.perf_counter() - started
    return Timings(f"fixed rate {rate:g}/s", tuple(latencies), elapsed_s, errors)


def run_fixed_rate(base_url: str, load: Load, rate: float, options: LoadOptions) -> Timings:
    """Send ``load`` at ``rate`` requests a second for ``options.duration_s`` (bounded by
    ``max_requests``) over up to ``options.connections`` keep-alive connections; every
    latency is kept (``Timings.result()`` for the figures, ``pooled`` for several runs)."""
    _require_local(base_url)
    if not load.requests or rate <= 0:
        raise BenchError("a fixed-rate load needs requests and a positive rate")
    return asyncio.run(_paced(base_url, load, rate, options))


# --- Python fallback ---------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], percent: float) -> float:
    """Nearest rank, as wrk reports it; 0 for no values."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


async def run_httpx(base_url: str, load: Load, options: LoadOptions) -> LoadResult:
    """The same figures without wrk: ``connections`` workers on one keep-alive pool.

    Python is a slower client than wrk, so its numbers are lower for both sides of a pair; the
    ratio is what stays comparable. Bounded by the duration and by ``max_requests``.
    """
    latencies: list[float] = []
    errors = {"status": 0, "socket": 0}
    issued = 0
    limits = httpx.Limits(
        max_connections=options.connections, max_keepalive_connections=options.connections
    )
    started = time.perf_counter()
    deadline = started + options.duration_s

    async def worker(client: httpx.AsyncClient, offset: int) -> None:
        nonlocal issued
        index = offset
        while time.perf_counter() < deadline and issued < options.max_requests:
            issued += 1
            request = load.requests[index % len(load.requests)]
            index += 1
            sent = time.perf_counter()
            try:
                response = await client.request(load.method, request.path, content=request.body)
            except httpx.TransportError:
                errors["socket"] += 1
                continue
            latencies.append((time.perf_counter() - sent) * 1000)
            if response.status_code >= httpx.codes.BAD_REQUEST:
                errors["status"] += 1

    async with httpx.AsyncClient(
        base_url=base_url,
        headers=dict(load.headers),
        limits=limits,
        timeout=options.timeout_s,
        trust_env=False,
    ) as client:
        async with asyncio.timeout(options.duration_s + options.timeout_s + 10):
            await asyncio.gather(*(worker(client, n) for n in range(options.connections)))
    return LoadResult.timed("httpx", latencies, time.perf_counter() - started, errors)
