"""Benchmark RecipeVault's recipe reads against a bare FastAPI app, at several data sizes.

Run ``.venv/bin/python bench/recipes.py --help``. For each database it migrates a fresh database
of every size in a temporary folder and seeds it with ``recipevault demo synth``, then serves
each size and the bare app side by side with the same uvicorn options, and measures each
scenario on all of them in alternating rounds, right after the bare baseline, so the ratios
between them survive the machine's drift. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Literal
from urllib.parse import quote

import httpx
from databases import database_factory, reuse, seed
from harness import (
    Load,
    LoadOptions,
    LoadResult,
    Timings,
    first_statuses,
    measure,
    pooled,
    run_load,
)
from paced import run_fixed_rate
from report import Outcome, SizeRun, print_summary, print_table, summary_document
from servers import BenchError, Server, ServerSpec, running_server

BENCH_DIR = Path(__file__).resolve().parent
SAMPLE_PATH = "/api/v1/recipes?limit=100"

SEARCH_TERMS = ("chicken", "chocolate cake", "garlic bread", "lemon", "tomato soup", "pancakes")
FOOD_LISTS = (
    ("egg", "flour", "milk", "butter", "sugar"),
    ("chicken", "garlic", "lemon", "olive oil", "rosemary"),
    ("tomato", "onion", "garlic", "basil", "pasta"),
    ("potato", "butter", "cream", "cheese", "chives"),
)


@dataclass(frozen=True)
class Sample:
    """Recipes that exist in the database under test, read through the API before loading."""

    ids: tuple[str, ...]
    slugs: tuple[str, ...]
    problem: str = ""


@dataclass(frozen=True)
class Scenario:
    """One line of the results table. ``min_ratio`` and ``max_p99_ms`` are the targets."""

    key: str
    name: str
    baseline: str
    load: Callable[[Sample], Load]
    min_ratio: float | None = None
    max_p99_ms: float | None = None
    skip_on_404: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "get-one",
        "get one recipe (JSON)",
        "/json",
        lambda s: Load.get(*(f"/api/v1/recipes/{quote(i)}" for i in s.ids)),
        min_ratio=0.5,
    ),
    Scenario(
        "list", "list 20 summaries", "/json", lambda s: Load.get("/api/v1/recipes?limit=20"), 0.3
    ),
    Scenario(
        "search",
        "full-text search",
        "/json",
        lambda s: Load.get(*(f"/api/v1/recipes?q={quote(t)}" for t in SEARCH_TERMS)),
        max_p99_ms=50.0,
    ),
    Scenario(
        "cook-with",
        "cook-with",
        "/json",
        lambda s: Load.post_json("/api/v1/recipes/cook-with", [{"foods": f} for f in FOOD_LISTS]),
    ),
    Scenario(
        "page",
        "recipe page (HTML)",
        "/html",
        lambda s: Load.get(*(f"/recipes/{quote(slug)}" for slug in s.slugs)),
        min_ratio=0.4,
        skip_on_404=True,
    ),
)
PACED_SAMPLES = 2_000
PACED_ROUND_MAX_S = 20.0
SMOKE = Scenario("live", "liveness probe (smoke)", "/json", lambda s: Load.get("/health/live"))


# --- one database at one size ------------------------------------------------------------------


def fetch_sample(base_url: str) -> Sample:
    """Ids and slugs of up to 100 recipes, to spread reads over real rows."""
    try:
        response = httpx.get(base_url + SAMPLE_PATH, timeout=30.0, trust_env=False)
    except httpx.TransportError as exc:
        return Sample((), (), f"GET {SAMPLE_PATH} failed: {exc}")
    if response.status_code != httpx.codes.OK:
        return Sample((), (), f"GET {SAMPLE_PATH} answered {response.status_code}")
    document = response.json()
    items = document.get("items", []) if isinstance(document, dict) else document
    rows = [item for item in items if isinstance(item, dict) and "id" in item]
    if not rows:
        return Sample((), (), f"GET {SAMPLE_PATH} listed no recipes")
    ids = tuple(str(row["id"]) for row in rows)
    return Sample(ids, tuple(str(row.get("slug", row["id"])) for row in rows))


@dataclass(frozen=True)
class Target:
    """RecipeVault serving one size, and recipes read through it."""

    size: int
    server: Server
    sample: Sample


def checked_load(scenario: Scenario, target: Target) -> Load | Outcome:
    """The scenario's requests for this size, each sent once and answered 2xx; else why not."""
    try:
        load = scenario.load(target.sample)
    except (KeyError, ValueError) as exc:
        return Outcome.failed(scenario, f"cannot build the load: {exc}")
    if not load.requests:
        return Outcome.failed(scenario, target.sample.problem or "no requests to send")
    for path, status in first_statuses(target.server.base_url, load):
        if status == httpx.codes.NOT_FOUND and scenario.skip_on_404:
            return Outcome.skipped(scenario, f"{load.method} {path} answers 404 (not built yet?)")
        if not 200 <= status < 300:
            return Outcome.failed(scenario, f"{load.method} {path} answered {status}")
    return load


def run_scenario(
    scenario: Scenario,
    targets: Sequence[Target],
    bare: Server,
    options: LoadOptions,
    args: argparse.Namespace,
) -> list[Outcome]:
    """One outcome per target. Every size is measured in the same stretch of time, in
    alternating rounds (the bare app then a size, for each size, their order reversed every
    round), so a machine that got busier is busier for all of them. Each size reports its
    round with the median ratio: a burst of load from elsewhere then spoils one round, not the
    figure.

    Then latency at a fixed rate, ``--rate-share`` of what the smallest size served, the same
    for every size, again in alternating rounds; each size reports the percentiles of its
    rounds' requests taken together, but for its worst round (see ``pooled_rounds``)."""
    outcomes: dict[int, Outcome] = {}
    live: list[tuple[Target, Load]] = []
    for target in targets:
        checked = checked_load(scenario, target)
        if isinstance(checked, Outcome):
            outcomes[target.size] = checked
        else:
            live.append((target, checked))
    if not live:
        return [outcomes[t.size] for t in targets]
    baseline = Load.get(scenario.baseline)
    rounds = args.rounds
    print(f"  measuring {scenario.name} ...", flush=True)
    round_options = replace(options, duration_s=options.duration_s / rounds)
    measured: dict[int, list[Outcome]] = {t.size: [] for t, _ in live}
    for index in range(rounds):
        warmup = args.warmup if index == 0 else 0.0
        for target, load in live if index % 2 == 0 else live[::-1]:
            # Each size right after its own bare run: the ratio is of two neighbouring runs.
            bare_result = measure(bare.base_url, baseline, round_options, warmup_s=warmup)
            result = measure(target.server.base_url, load, round_options, warmup_s=warmup)
            measured[target.size].append(Outcome.measured(scenario, result, bare_result))
    for target, _ in live:
        outcomes[target.size] = median_round(measured[target.size])
    if rate := fixed_rate(outcomes[live[0][0].size], args.rate_share):
        # Rounds of at least PACED_SAMPLES requests (up to PACED_ROUND_MAX_S each).
        round_s = min(PACED_ROUND_MAX_S, max(round_options.duration_s, PACED_SAMPLES / rate))
        paced_options = replace(options, duration_s=round_s)
        paced: dict[int, list[Timings]] = {t.size: [] for t, _ in live}
        for index in range(rounds):
            for target, load in live if index % 2 == 0 else live[::-1]:
                timings = run_fixed_rate(target.server.base_url, load, rate, paced_options)
                paced[target.size].append(timings)
        # For reference: what the client and a server doing nothing cost at that rate.
        paced_bare = run_fixed_rate(bare.base_url, baseline, rate, round_options).result()
        for target, _ in live:
            result, note = pooled_rounds(paced[target.size])
            outcomes[target.size] = replace(
                outcomes[target.size].noted(note), paced=result, paced_bare=paced_bare
            )
    if scenario.max_p99_ms is not None:
        # Latency as one user sees it: one request at a time, no queue in front of it. With
        # 32 connections kept busy, p99 is mostly time spent waiting behind the others.
        alone = replace(options, connections=1, duration_s=max(2.0, options.duration_s / 2))
        for target, load in live:
            result = run_load(target.server.base_url, load, alone)
            outcomes[target.size] = replace(outcomes[target.size], alone=result)
    return [outcomes[t.size] for t in targets]


def median_round(measured: Sequence[Outcome]) -> Outcome:
    """The round whose throughput ratio is the median, noting the spread of the others."""
    ratios = sorted(outcome.throughput_ratio or 0.0 for outcome in measured)
    median = sorted(measured, key=lambda outcome: outcome.throughput_ratio or 0.0)[len(ratios) // 2]
    if len(ratios) == 1:
        return median
    return median.noted(f"median of {len(ratios)} rounds, ratios {ratios[0]:.2f}-{ratios[-1]:.2f}")


def pooled_rounds(runs: Sequence[Timings]) -> tuple[LoadResult, str]:
    """The figures of fixed-rate rounds taken together, leaving out the round with the worst
    p99 when there are three or more, and a note saying how the rounds differed.

    A p99 over several rounds is not set by a stall of a fraction of a second, but a stall of
    a second or more (the machine dropping its file cache under a 900 MB database) delays
    over 1% of a whole round's requests; it spoils one round of one size, the way it would
    spoil one round's throughput, and is left out the same way for every size."""
    ordered = sorted(runs, key=lambda run: run.result().p99_ms)
    if len(ordered) < 2:
        return pooled(ordered), ""
    p99s = f"their p99 {ordered[0].result().p99_ms:.1f}-{ordered[-1].result().p99_ms:.1f} ms"
    if len(ordered) < 3:
        return pooled(ordered), f"fixed rate: {len(ordered)} rounds pooled, {p99s}"
    kept = ordered[:-1]
    return pooled(kept), f"fixed rate: {len(ordered)} rounds, {p99s}; the best {len(kept)} pooled"


def fixed_rate(outcome: Outcome, share: float) -> float:
    """``share`` of the requests per second RecipeVault served, to two significant figures;
    0 when nothing was measured (no fixed-rate run then)."""
    served = outcome.recipevault.requests_per_second if outcome.recipevault else 0.0
    if share <= 0 or served <= 0:
        return 0.0
    wanted = served * share
    step = 10 ** max(0, math.floor(math.log10(wanted)) - 1)
    return float(max(1, math.floor(wanted / step)) * step)


def run_database(
    database: str,
    create_database: Callable[[str], str],
    scenarios: Sequence[Scenario],
    args: argparse.Namespace,
    work_dir: Path,
) -> list[SizeRun]:
    """Seed a database of every size, serve each and the bare app side by side, and measure
    every scenario on all of them together."""
    environments = {}
    for size in args.sizes:
        print(f"\npreparing {database}, {size:,} recipes", flush=True)
        if size in args.use:
            environments[size] = reuse(database, size, args.use[size], work_dir)
        else:
            environments[size] = seed(database, size, create_database(f"bench_{size}"), work_dir)
    options = LoadOptions(
        duration_s=args.duration,
        connections=args.connections,
        threads=args.threads,
        client=args.client,
    )
    bare_spec = ServerSpec("bare", "bare_app:app", "/json", app_dir=BENCH_DIR, workers=args.workers)
    with ExitStack() as stack:
        bare = stack.enter_context(running_server(bare_spec, work_dir=work_dir))
        targets = []
        for size, env in environments.items():
            spec = ServerSpec(
                f"recipevault-{size}",
                "recipevault.main:app",
                "/health/live",
                env,
                workers=args.workers,
            )
            server = stack.enter_context(
                running_server(spec, work_dir=work_dir / f"{database}-{size}")
            )
            sample = fetch_sample(server.base_url) if size else Sample((), (), "not seeded")
            targets.append(Target(size, server, sample))
        sizes = ", ".join(f"{size:,}" for size in args.sizes)
        print(f"\nmeasuring {database} at {sizes} recipes", flush=True)
        by_scenario = [
            run_scenario(scenario, targets, bare, options, args) for scenario in scenarios
        ]
    runs = [
        SizeRun(database=database, size=target.size, outcomes=[row[i] for row in by_scenario])
        for i, target in enumerate(targets)
    ]
    for run in runs:
        print_table(run)
    return runs


# --- command line ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    keys = ", ".join(s.key for s in SCENARIOS)
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Only 127.0.0.1 is contacted; every run is bounded by --duration.",
    )
    parser.add_argument("--sizes", default="10000,100000", help="recipe counts, comma-separated")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument(
        "--duration",
        type=float,
        help="measured seconds per app and scenario, split over the rounds (10; smoke 3)",
    )
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each run (2)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating bare/RecipeVault rounds per scenario"
    )
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--rate-share",
        type=float,
        default=0.5,
        help="latency is also timed at this share of the first size's requests/s (0: not)",
    )
    parser.add_argument("--threads", type=int, default=1, choices=(1, 2), help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for both apps")
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--only", metavar="NAME", help=f"run one scenario ({keys})")
    parser.add_argument(
        "--use",
        metavar="SIZE=URL",
        action="append",
        default=[],
        help="measure this database, already seeded with SIZE recipes, instead of making one "
        "(migrated to the code's schema first); repeat for each size, all of one --database",
    )
    parser.add_argument("--output", type=Path, help="write results as JSON here")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="no seeding; only GET /health/live against bare /json, to check the harness",
    )
    args = parser.parse_args(argv)
    try:
        sizes = [0] if args.smoke else [int(n.replace("_", "")) for n in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, not {args.sizes!r}")
    args.sizes = sorted(set(sizes))  # the smallest first: it sets each fixed rate
    args.use = _used_databases(parser, args)
    if any(n <= 0 for n in args.sizes) and not args.smoke:
        parser.error("--sizes must be positive")
    if args.duration is None:
        args.duration = 3.0 if args.smoke else 10.0
    if args.warmup is None:
        args.warmup = 1.0 if args.smoke else 2.0
    if args.smoke:
        args.rounds = 1
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be 1..20")
    if not 0 <= args.rate_share <= 1:
        parser.error("--rate-share must be 0..1")
    if not 1 <= args.connections <= 1024 or not 1 <= args.workers <= 16:
        parser.error("--connections must be 1..1024 and --workers 1..16")
    if not 0 < args.duration <= 600 or not 0 <= args.warmup <= 60:
        parser.error("--duration must be 0..600 seconds and --warmup 0..60")
    return args


def _used_databases(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[int, str]:
    used = {}
    for given in args.use:
        size, _, url = given.partition("=")
        try:
            used[int(size.replace("_", ""))] = url
        except ValueError:
            parser.error(f"--use takes SIZE=URL, not {given!r}")
    kinds = {"postgresql" if url.startswith("postgresql") else "sqlite" for url in used.values()}
    if used and (args.database == "both" or kinds != {args.database}):
        parser.error("--use databases must all be of the one --database measured")
    if not set(used) <= set(args.sizes):
        parser.error("--use sizes must be among --sizes")
    return used


def select_scenarios(args: argparse.Namespace) -> list[Scenario]:
    if args.smoke:
        return [SMOKE]
    if args.only is None:
        return list(SCENARIOS)
    chosen = [s for s in SCENARIOS if args.only in (s.key, s.name)]
    if not chosen:
        raise BenchError(f"no scenario {args.only!r}; choose one of {[s.key for s in SCENARIOS]}")
    return chosen


def _no_new_database(name: str) -> str:
    raise BenchError(f"no database to create {name} in")


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turn a polite kill into an exception so every `finally` stops its server.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    databases: list[Literal["sqlite", "postgresql"]] = (
        ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    )
    work_dir = Path(tempfile.mkdtemp(prefix="recipevault-bench-"))
    runs: list[SizeRun] = []
    try:
        scenarios = select_scenarios(args)
        for database in databases:
            if set(args.use) == set(args.sizes):  # nothing to create
                runs += run_database(database, _no_new_database, scenarios, args, work_dir)
                continue
            with database_factory(database, work_dir) as create_database:
                runs += run_database(database, create_database, scenarios, args, work_dir)
        print_summary(runs, scenarios)
    except BenchError as exc:
        print(f"\nbench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nbench: interrupted; servers stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    output = args.output or Path(tempfile.gettempdir()) / f"recipevault-bench-{os.getpid()}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = summary_document(runs, scenarios, vars(args) | {"output": str(output)})
    output.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"\nresults written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
