"""Put a bounded load on a server and read its figures: wrk when it is installed, a Python
client otherwise, one load function for both sides of a pair.

Loads end after a fixed duration (the Python clients also after a request count), and only
127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import httpx
from servers import BenchError, require_local

Client = Literal["auto", "wrk", "httpx"]


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
    require_local(base_url)
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
    require_local(base_url)
    if not load.requests:
        raise BenchError("a load needs at least one request")
    wrk = shutil.which("wrk")
    if options.client == "wrk" and wrk is None:
        raise BenchError("wrk is not installed (Debian package 'wrk'); use --client httpx")
    if options.client != "httpx" and wrk is not None:
        return run_wrk(wrk, base_url, load, options)
    return asyncio.run(run_httpx(base_url, load, options))


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
