"""Put a bounded load on a server and read its figures: wrk when it is installed, a Python
client otherwise, one load function for both sides of a pair; and what the benches of one
feature against the bare app share (``serving``, ``sign_up``, ``alternate``, ``median_round``,
``run_databases``).

Loads end after a fixed duration (the Python clients also after a request count), and only
127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import httpx
from databases import database_factory, seed
from servers import BenchError, Server, ServerSpec, require_local, running_server

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


# --- A feature's bench: RecipeVault beside the bare app, in alternating rounds -------------------

BENCH_DIR = Path(__file__).resolve().parent
Pairs = list[tuple[LoadResult, LoadResult]]


@contextmanager
def serving(
    database: str, work_dir: Path, name: str
) -> Iterator[tuple[Server, Server, dict[str, str]]]:
    """A fresh, migrated database of ``database`` called ``name`` (no recipes), the bare app and
    RecipeVault on it, side by side; RecipeVault's environment comes third."""
    with ExitStack() as stack:
        create_database = stack.enter_context(database_factory(database, work_dir))
        env = seed(database, 0, create_database(name), work_dir)
        bare = stack.enter_context(
            running_server(
                ServerSpec("bare", "bare_app:app", "/json", app_dir=BENCH_DIR), work_dir=work_dir
            )
        )
        app = stack.enter_context(
            running_server(
                ServerSpec("recipevault", "recipevault.main:app", "/health/live", env),
                work_dir=work_dir / f"{database}-0",
            )
        )
        yield bare, app, env


@dataclass(frozen=True)
class Member:
    """An account made through the API, beside the site's admin: the headers of a sign-in
    (which may write), those of a personal API token with the read scope, and its household."""

    email: str
    password: str
    session: dict[str, str]
    reader: dict[str, str]
    household_id: int


def sign_up(client: httpx.Client, email: str, password: str) -> Member:
    """Register the site's admin, then ``email``; sign in as ``email`` and make a read token."""
    # The first account is the site's admin, who reads everything: the member is a plain one.
    for address in ("admin@example.org", email):
        registered = client.post(
            "/api/v1/auth/register",
            json={"email": address, "password": password, "display_name": "Bench"},
        )
        registered.raise_for_status()
    signed_in = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    signed_in.raise_for_status()
    session = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    token = client.post(
        "/api/v1/users/me/tokens", json={"name": "bench", "scopes": ["read"]}, headers=session
    )
    token.raise_for_status()
    household_id = client.get("/api/v1/households", headers=session).json()[0]["id"]
    reader = {"Authorization": f"Bearer {token.json()['token']}"}
    return Member(email, password, session, reader, household_id)


def browser_headers(base_url: str, member: Member) -> dict[str, str]:
    """The headers of a browser signed in as ``member``: its session cookie, for the pages."""
    require_local(base_url)
    with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as client:
        opened = client.post(
            "/api/v1/auth/session", json={"email": member.email, "password": member.password}
        )
        opened.raise_for_status()
        cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return {"Cookie": cookies}


def alternate(
    bare: Server,
    app: Server,
    loads: Mapping[str, tuple[Load, Load]],
    options: LoadOptions,
    *,
    rounds: int,
    warmup_s: float,
) -> dict[str, Pairs]:
    """Each of ``loads`` (its baseline on the bare app, then its load on RecipeVault) measured
    in ``rounds`` rounds, the baseline right before the load each time; a warm-up of
    ``warmup_s`` before each run of the first round, half a second later on. An error answered
    under load stops the bench."""
    pairs: dict[str, Pairs] = {name: [] for name in loads}
    for number in range(rounds):
        warmup = warmup_s if number == 0 else 0.5
        for name, (baseline, load) in loads.items():
            bare_result = measure(bare.base_url, baseline, options, warmup_s=warmup)
            result = measure(app.base_url, load, options, warmup_s=warmup)
            if result.error_responses or result.socket_errors:
                raise BenchError(f"{name} failed under load: {result}")
            pairs[name].append((bare_result, result))
    return pairs


@dataclass(frozen=True)
class Ratio:
    """The median round's ratio to the bare app, every round's, and RecipeVault's figures in
    the median round (the first round's when the median falls between two)."""

    ratio: float
    ratios: list[float]
    median: LoadResult


def median_round(pairs: Pairs) -> Ratio:
    ratios = [result.requests_per_second / bare.requests_per_second for bare, result in pairs]
    ratio = statistics.median(ratios)
    _, median = pairs[ratios.index(ratio)] if ratio in ratios else pairs[0]
    return Ratio(ratio, ratios, median)


def bench_arguments(
    description: str | None, *, connections: int, what: str
) -> argparse.ArgumentParser:
    """The options every feature's bench takes; ``what`` names the rounds' other side."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per app")
    parser.add_argument("--rounds", type=int, default=5, help=f"alternating bare/{what} rounds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before the first round")
    parser.add_argument(
        "--connections", type=int, default=connections, help="concurrent connections"
    )
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--output", type=Path, help="write results as JSON here")
    return parser


def load_options(args: argparse.Namespace) -> LoadOptions:
    """One run's options: ``--duration`` split over the rounds."""
    return LoadOptions(
        duration_s=args.duration / args.rounds, connections=args.connections, client=args.client
    )


def run_databases(
    args: argparse.Namespace,
    prefix: str,
    run: Callable[[str, argparse.Namespace, Path], dict[str, object]],
) -> int:
    """``run`` for each database ``--database`` names, each in a folder of its own under a
    temporary one; the results written to ``--output`` as JSON. The exit status: 1 when the
    bench failed (and why, on stderr), else 0."""
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            for database in databases:
                work_dir = Path(folder) / database
                work_dir.mkdir()
                results.append(run(database, args, work_dir))
    except (BenchError, httpx.HTTPError) as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0
