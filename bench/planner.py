"""Benchmark the meal planner's month listing against a bare FastAPI app.

A fresh database gets one household with 30 recipes and 120 entries in December 2026 (four a
day, a few of them spanning two days), planned through the API; then
``GET /api/v1/meal-plan?household_id=…&start=2026-12-01&end=2026-12-31``, sent with a
personal API token, is measured in alternating rounds right after the bare app's ``/json``,
and the median round's requests/s ratio is reported (target: ≥ 0.3 on SQLite).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import httpx
from databases import database_factory, seed
from harness import Load, LoadOptions, LoadResult, measure
from servers import BenchError, ServerSpec, running_server

BENCH_DIR = Path(__file__).resolve().parent
ENTRIES = 120
RECIPES = 30
MONTH = ("2026-12-01", "2026-12-31")
TARGET = 0.3
ME = "/api/v1/users/me"  # the same token, to tell identifying the caller from the listing
PASSWORD = "bench planner passphrase"  # noqa: S105 - a throwaway account


def plan_a_month(base_url: str) -> tuple[str, dict[str, str]]:
    """Sign up, plan a month through the API; the listing's path and the headers to send."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        # The first account is the site's admin, who reads everything: the planner is a member.
        for email in ("admin@example.org", "planner@example.org"):
            registered = client.post(
                "/api/v1/auth/register",
                json={"email": email, "password": PASSWORD, "display_name": "Bench"},
            )
            registered.raise_for_status()
        signed_in = client.post(
            "/api/v1/auth/token", data={"username": "planner@example.org", "password": PASSWORD}
        )
        signed_in.raise_for_status()
        session = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        token = client.post(
            "/api/v1/users/me/tokens",
            json={"name": "bench", "scopes": ["read"]},
            headers=session,
        )
        token.raise_for_status()
        household_id = client.get("/api/v1/households", headers=session).json()[0]["id"]
        recipe_ids = []
        for number in range(RECIPES):
            made = client.post(
                "/api/v1/recipes",
                json={"title": f"Dish {number}", "servings": 4, "visibility": "household"},
                headers=session,
            )
            made.raise_for_status()
            recipe_ids.append(made.json()["id"])
        slots = client.get(f"/api/v1/households/{household_id}/meal-slots", headers=session)
        slot_ids = [slot["id"] for slot in slots.json()]
        for number in range(ENTRIES):
            day, slot = divmod(number, len(slot_ids))
            entry: dict[str, object] = {
                "household_id": household_id,
                "date": f"2026-12-{day + 1:02d}",
                "slot_id": slot_ids[slot],
            }
            if slot == 3:
                entry["note"] = "Fruit"
            else:
                entry["recipe_id"] = recipe_ids[number % RECIPES]
            if slot == 2 and day % 7 == 0 and day < 30:
                entry["end_date"] = f"2026-12-{day + 2:02d}"
            planned = client.post("/api/v1/meal-plan", json=entry, headers=session)
            planned.raise_for_status()
    path = f"/api/v1/meal-plan?household_id={household_id}&start={MONTH[0]}&end={MONTH[1]}"
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        listed = client.get(path, headers=headers)
        listed.raise_for_status()
        if len(listed.json()["items"]) != ENTRIES:
            raise BenchError(f"the month lists {len(listed.json()['items'])} entries")
    return path, headers


def run(database: str, args: argparse.Namespace, work_dir: Path) -> dict[str, object]:
    options = LoadOptions(
        duration_s=args.duration / args.rounds, connections=args.connections, client=args.client
    )
    with ExitStack() as stack:
        create_database = stack.enter_context(database_factory(database, work_dir))
        env = seed(database, 0, create_database("bench_planner"), work_dir)
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
        path, headers = plan_a_month(app.base_url)
        baseline = Load.get("/json")
        loads = {"month": Load.get(path, headers=headers), "me": Load.get(ME, headers=headers)}
        rounds: dict[str, list[tuple[LoadResult, LoadResult]]] = {name: [] for name in loads}
        for number in range(args.rounds):
            warmup = args.warmup if number == 0 else 0.5
            for name, load in loads.items():
                bare_result = measure(bare.base_url, baseline, options, warmup_s=warmup)
                result = measure(app.base_url, load, options, warmup_s=warmup)
                if result.error_responses or result.socket_errors:
                    raise BenchError(f"{name} failed under load: {result}")
                rounds[name].append((bare_result, result))
    found: dict[str, object] = {"database": database, "entries": ENTRIES, "target": TARGET}
    for name, what in (("month", f"month of {ENTRIES} entries"), ("me", ME)):
        ratios = [
            result.requests_per_second / bare.requests_per_second for bare, result in rounds[name]
        ]
        ratio = statistics.median(ratios)
        _, median_result = rounds[name][ratios.index(ratio)] if ratio in ratios else rounds[name][0]
        verdict = (
            ""
            if name != "month"
            else (f"; {'meets' if ratio >= TARGET else 'misses'} the target of {TARGET}")
        )
        print(
            f"{database}: {what} {ratio:.2f} of bare FastAPI "
            f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}; "
            f"{median_result.requests_per_second:.0f} req/s, p50 {median_result.p50_ms:.1f} ms, "
            f"p99 {median_result.p99_ms:.1f} ms){verdict}",
            flush=True,
        )
        prefix = "" if name == "month" else "me_"
        found |= {
            f"{prefix}ratio": ratio,
            f"{prefix}rounds": ratios,
            f"{prefix}requests_per_second": [r.requests_per_second for _, r in rounds[name]],
            f"{prefix}bare_requests_per_second": [b.requests_per_second for b, _ in rounds[name]],
        }
    return found


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per app")
    parser.add_argument("--rounds", type=int, default=5, help="alternating bare/planner rounds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before the first round")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--output", type=Path, help="write results as JSON here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="rv-bench-planner-") as folder:
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


if __name__ == "__main__":
    sys.exit(main())
