"""Soak RecipeVault with many clients reading and writing at once, then check every write.

Run ``.venv/bin/python bench/soak.py --help``. For each database and worker count it migrates a
fresh database in a temporary folder, seeds public recipes with ``recipevault demo synth``,
makes one account with a write token and a private recipe per client (through the services,
before the server starts), measures the bare FastAPI app with the same clients, then serves
RecipeVault with ``recipevault serve --workers N`` and runs the clients for ``--duration``
seconds (see soak_workload.py for the mix). Afterwards it reads every recipe the clients wrote
back through the API and from the tables (soak_checks.py). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import orjson
import uvloop
from databases import database_factory, seed
from harness import percentile
from servers import BenchError, ServerSpec, group_cpu_seconds, running_server
from soak_checks import Verdict, create_accounts, verify
from soak_workload import MIX, READS, Account, Client, Connection, Tally, Targets

BENCH_DIR = Path(__file__).resolve().parent
# Answers slower than this count as lost (the client gives up and reconnects).
REQUEST_TIMEOUT_S = 60.0
# Besides the duration, a client stops after this many requests.
MAX_REQUESTS_PER_CLIENT = 100_000
P99_TARGET_MS = 1000.0
# Several workers importing the app at once on a busy machine take a while to answer.
STARTUP_TIMEOUT_S = 120.0


@dataclass
class Run:
    database: str
    workers: int
    clients: int
    duration_s: float
    elapsed_s: float
    client_cpu_s: float
    tally: Tally
    # CPU time the server's processes used during the load: requests per CPU second do not
    # depend on how much of the machine other programs took meanwhile.
    server_cpu_s: float
    bare_requests_per_s: float
    bare_p99_ms: float
    bare_requests_per_cpu_s: float
    verdict: Verdict
    # Why the server answered 503, from its log: reason -> count.
    busy: Counter[str]

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.tally.latencies_ms.values())

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s else 0.0

    def p(self, percent: float, kinds: Sequence[str] = tuple(MIX)) -> float:
        values = sorted(v for kind in kinds for v in self.tally.latencies_ms[kind])
        return percentile(values, percent)

    @property
    def requests_per_cpu_s(self) -> float:
        return self.requests / self.server_cpu_s if self.server_cpu_s else 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for (_, status), n in self.tally.statuses.items() if status >= 500)

    def passed(self) -> bool:
        return (
            self.server_errors == 0
            and not self.tally.transport_errors
            and not self.tally.wrong_answers
            and self.verdict.lost_or_partial == 0
            and self.p(99) < P99_TARGET_MS
        )


# --- load --------------------------------------------------------------------------------------


async def run_clients(
    base_url: str, accounts: list[Account], targets: Targets, duration_s: float, seed: int
) -> tuple[Tally, float, float]:
    """Every account's client for ``duration_s``: the tally, the time taken and the client's
    CPU time (to show the client was not the bottleneck)."""
    tally = Tally()
    clients = [
        Client(
            account,
            Connection(base_url, REQUEST_TIMEOUT_S),
            targets,
            tally,
            random.Random(seed * 100_003 + account.index),  # noqa: S311 - a workload, not a secret
        )
        for account in accounts
    ]
    cpu_before = time.process_time()
    started = time.perf_counter()
    deadline = started + duration_s
    async with asyncio.timeout(duration_s + REQUEST_TIMEOUT_S + 30):
        await asyncio.gather(*(c.run(deadline, MAX_REQUESTS_PER_CLIENT) for c in clients))
    return tally, time.perf_counter() - started, time.process_time() - cpu_before


async def run_bare(base_url: str, clients: int, duration_s: float) -> tuple[int, float, float]:
    """The same number of connections asking the bare app for ``/json``: requests, the time
    taken, p99."""
    latencies: list[float] = []
    deadline = time.perf_counter() + duration_s

    async def client() -> None:
        connection = Connection(base_url, REQUEST_TIMEOUT_S)
        sent = 0
        while time.perf_counter() < deadline and sent < MAX_REQUESTS_PER_CLIENT:
            sent += 1
            started = time.perf_counter()
            status, _, _ = await connection.request("GET", "/json")
            if status != 200:
                raise BenchError(f"the bare app answered {status}")
            latencies.append((time.perf_counter() - started) * 1000)
        connection.close()

    started = time.perf_counter()
    async with asyncio.timeout(duration_s + REQUEST_TIMEOUT_S + 30):
        await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return len(latencies), elapsed, percentile(latencies, 99)


def busy_reasons(log_path: Path) -> Counter[str]:
    """What the server's log says it answered 503 for (its warnings), by reason."""
    reasons: Counter[str] = Counter()
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("event") == "answered with an error":
            reasons[str(entry.get("reason", ""))[:90]] += 1
    return reasons


async def public_slugs(base_url: str) -> Targets:
    connection = Connection(base_url, REQUEST_TIMEOUT_S)
    try:
        status, _, body = await connection.request("GET", "/api/v1/recipes?limit=100")
    finally:
        connection.close()
    items = orjson.loads(body)["items"] if status == 200 else []
    if not items:
        raise BenchError(f"no public recipes to read (status {status})")
    return Targets(page_slugs=tuple(item["slug"] for item in items))


def soak_one(
    database: str, database_url: str, workers: int, args: argparse.Namespace, work: Path
) -> Run:
    env = seed(database, args.recipes, database_url, work)
    run_mark = uuid.uuid4().hex[:8]
    started = time.monotonic()
    accounts = uvloop.run(
        create_accounts(database_url, args.clients, run_mark, used_now=args.tokens_used)
    )
    print(f"  {len(accounts)} accounts with tokens in {time.monotonic() - started:.1f} s")
    bare_spec = ServerSpec("bare", "bare_app:app", "/json", app_dir=BENCH_DIR, workers=workers)
    with running_server(bare_spec, work_dir=work, startup_timeout_s=STARTUP_TIMEOUT_S) as bare:
        uvloop.run(run_bare(bare.base_url, args.clients, min(2.0, args.bare_duration)))  # warm-up
        cpu_before = group_cpu_seconds(bare.pid)
        count, seconds, bare_p99 = uvloop.run(
            run_bare(bare.base_url, args.clients, args.bare_duration)
        )
        bare_cpu = group_cpu_seconds(bare.pid) - cpu_before
    bare_rate, bare_per_cpu = count / seconds, count / bare_cpu if bare_cpu else 0.0
    shown = f"{bare_rate:,.0f} req/s, p99 {bare_p99:.1f} ms, {bare_per_cpu:,.0f} req/CPU s"
    print(f"  bare /json: {shown}")
    spec = ServerSpec("recipevault", "", "/health/live", env=env, workers=workers, cli=True)
    with running_server(spec, work_dir=work, startup_timeout_s=STARTUP_TIMEOUT_S) as server:
        targets = uvloop.run(public_slugs(server.base_url))
        print(f"  {args.clients} clients for {args.duration:g} s ...", flush=True)
        cpu_before = group_cpu_seconds(server.pid)
        tally, elapsed, cpu = uvloop.run(
            run_clients(server.base_url, accounts, targets, args.duration, args.seed)
        )
        server_cpu = group_cpu_seconds(server.pid) - cpu_before
        busy = busy_reasons(server.log_path)
        verdict = uvloop.run(verify(server.base_url, database_url, accounts))
    return Run(
        database,
        workers,
        args.clients,
        args.duration,
        elapsed,
        cpu,
        tally,
        server_cpu,
        bare_rate,
        bare_p99,
        bare_per_cpu,
        verdict,
        busy,
    )


# --- report ------------------------------------------------------------------------------------


def print_run(run: Run) -> None:
    workers = f"{run.workers} worker{'s' if run.workers > 1 else ''}"
    ratio = run.requests_per_s / run.bare_requests_per_s if run.bare_requests_per_s else 0
    print(f"\n{run.database}, {workers}: {run.clients} clients, {run.elapsed_s:.1f} s")
    cpu_ratio = (
        run.requests_per_cpu_s / run.bare_requests_per_cpu_s if run.bare_requests_per_cpu_s else 0
    )
    print(
        f"  {run.requests:,} requests, {run.requests_per_s:,.0f} req/s "
        f"(bare /json {run.bare_requests_per_s:,.0f} req/s, ratio {ratio:.3f}); "
        f"client CPU {run.client_cpu_s / run.elapsed_s:.0%} of one core"
    )
    print(
        f"  server CPU {run.server_cpu_s:.1f} s ({run.server_cpu_s / run.elapsed_s:.0%} of one "
        f"core): {run.requests_per_cpu_s:,.0f} req/CPU s (bare {run.bare_requests_per_cpu_s:,.0f}, "
        f"ratio {cpu_ratio:.3f})"
    )
    print(f"  {'kind':<10}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}  statuses")
    rows = [*MIX, "reads", "writes", "all"]
    groups = {"reads": READS, "writes": tuple(k for k in MIX if k not in READS), "all": tuple(MIX)}
    for row in rows:
        kinds = groups.get(row, (row,))
        count = sum(len(run.tally.latencies_ms[k]) for k in kinds)
        statuses = Counter[int]()
        for (kind, status), n in run.tally.statuses.items():
            if kind in kinds:
                statuses[status] += n
        shown = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
        print(
            f"  {row:<10}{count:>8,}{run.p(50, kinds):>10.1f}{run.p(99, kinds):>10.1f}"
            f"{run.p(100, kinds):>10.1f}  {shown}"
        )
    errors = sum(n for (_, s), n in run.tally.statuses.items() if s >= 400)
    print(
        f"  errors: {errors} responses >= 400 ({run.server_errors} >= 500), "
        f"{sum(run.tally.transport_errors.values())} without an answer"
        + (f" {dict(run.tally.transport_errors)}" if run.tally.transport_errors else "")
    )
    for reason, count in run.busy.most_common(5):
        print(f"    503 x{count}: {reason}")
    verdict = run.verdict
    print(
        f"  checked {verdict.recipes_checked:,} recipes, {verdict.writes_acknowledged:,} "
        f"acknowledged writes: {verdict.lost_or_partial} lost or partial, "
        f"{len(run.tally.wrong_answers)} wrong answers, {verdict.doubtful} left unchecked "
        "(a write to them got no answer)"
    )
    for example in [*verdict.examples, *run.tally.wrong_answers[:5]]:
        print(f"    {example}")
    verdict_word = "met" if run.passed() else "NOT met"
    print(f"  targets (0 >= 500, 0 lost or partial, p99 < 1 s): {verdict_word}")


def run_document(run: Run) -> dict[str, Any]:
    kinds = {
        kind: {
            "count": len(run.tally.latencies_ms[kind]),
            "p50_ms": run.p(50, (kind,)),
            "p99_ms": run.p(99, (kind,)),
            "max_ms": run.p(100, (kind,)),
        }
        for kind in MIX
    }
    return {
        "database": run.database,
        "workers": run.workers,
        "clients": run.clients,
        "elapsed_s": run.elapsed_s,
        "requests": run.requests,
        "requests_per_s": run.requests_per_s,
        "bare_requests_per_s": run.bare_requests_per_s,
        "bare_p99_ms": run.bare_p99_ms,
        "server_cpu_s": run.server_cpu_s,
        "requests_per_cpu_s": run.requests_per_cpu_s,
        "bare_requests_per_cpu_s": run.bare_requests_per_cpu_s,
        "client_cpu_s": run.client_cpu_s,
        "p50_ms": run.p(50),
        "p99_ms": run.p(99),
        "kinds": kinds,
        "statuses": {f"{k} {s}": n for (k, s), n in sorted(run.tally.statuses.items())},
        "transport_errors": dict(run.tally.transport_errors),
        "wrong_answers": run.tally.wrong_answers,
        "verdict": {
            "recipes_checked": run.verdict.recipes_checked,
            "writes_acknowledged": run.verdict.writes_acknowledged,
            "doubtful": run.verdict.doubtful,
            "problems": dict(run.verdict.problems),
            "examples": run.verdict.examples,
        },
        "busy": dict(run.busy),
        "passed": run.passed(),
    }


# --- command line ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Only 127.0.0.1 is contacted; every run is bounded by --duration.",
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated (1,2)")
    parser.add_argument("--clients", type=int, default=256, help="concurrent clients (256)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (60)")
    parser.add_argument(
        "--bare-duration", type=float, default=10.0, help="seconds on the bare app (10)"
    )
    parser.add_argument("--recipes", type=int, default=2000, help="public recipes seeded (2000)")
    parser.add_argument("--seed", type=int, default=1, help="the clients' random seed")
    parser.add_argument(
        "--tokens-used",
        action="store_true",
        help="tokens used just before the run (by default never used: the first use marks each)",
    )
    parser.add_argument("--output", type=Path, help="write results as JSON here")
    parser.add_argument(
        "--smoke", action="store_true", help="16 clients for 5 s on 200 recipes, 1 worker"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.clients, args.duration, args.bare_duration, args.recipes = 16, 5.0, 2.0, 200
        args.workers = "1"
    try:
        args.workers = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error(f"--workers must be comma-separated integers, not {args.workers!r}")
    if not all(1 <= n <= 16 for n in args.workers):
        parser.error("--workers must be 1..16")
    if not 1 <= args.clients <= 1024:
        parser.error("--clients must be 1..1024")
    if not 0 < args.duration <= 600 or not 0 < args.bare_duration <= 60:
        parser.error("--duration must be 0..600 seconds and --bare-duration 0..60")
    if not 1 <= args.recipes <= 100_000:
        parser.error("--recipes must be 1..100000")
    return args


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so every `finally` stops its server


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory(prefix="recipevault-soak-") as folder:
            for database in databases:
                with database_factory(database, Path(folder)) as create_database:
                    for workers in args.workers:
                        work = Path(folder) / f"{database}-w{workers}"
                        work.mkdir()
                        print(
                            f"\n{database}, {workers} worker(s): seeding {args.recipes:,} recipes"
                        )
                        url = create_database(f"soak_w{workers}")
                        runs.append(soak_one(database, url, workers, args, work))
                        print_run(runs[-1])
    except BenchError as exc:
        print(f"\nsoak: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsoak: interrupted; servers stopped", file=sys.stderr)
        return 130
    if args.output:
        args.output.write_text(json.dumps([run_document(r) for r in runs], indent=2) + "\n")
        print(f"\nresults written to {args.output}")
    return 0 if all(run.passed() for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
