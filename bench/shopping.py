"""Benchmark reading a long shopping list against a bare FastAPI app.

A fresh database gets one household's list with 2,000 open items (each with a typed part, and
every fifth with a recipe's part beside it, so that lines merge across units) and 10,000 items
checked off over time. ``GET /api/v1/shopping-lists/{id}`` (the open items and the 50 checked
last, each merged in the reader's units), sent with a personal API token, is measured in
alternating rounds right after the bare app's ``/json``; the median round's requests/s ratio and
its latency are reported. The items are written straight into the database (adding 12,000
through the API would take minutes and measure the writes, not the read).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import httpx
from databases import database_factory, seed
from harness import Load, LoadOptions, LoadResult, measure
from servers import BenchError, ServerSpec, running_server
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from recipevault.config import Settings
from recipevault.shopping.foods import food_key
from recipevault.shopping.models import ShoppingAddition, ShoppingItem, ShoppingItemSource

BENCH_DIR = Path(__file__).resolve().parent
OPEN_ITEMS = 2_000
CHECKED_ITEMS = 10_000
TARGET_P95_MS = 200
PASSWORD = "bench shopping passphrase"  # noqa: S105 - a throwaway account
UNITS = ("gram", "kilogram", "milliliter", "cup", "teaspoon", None)


def make_list(base_url: str) -> tuple[int, dict[str, str]]:
    """Sign up and make a list through the API; its id and a reader's headers."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        # The first account is the site's admin: the shopper is a plain member.
        for email in ("admin@example.org", "shopper@example.org"):
            registered = client.post(
                "/api/v1/auth/register",
                json={"email": email, "password": PASSWORD, "display_name": "Bench"},
            )
            registered.raise_for_status()
        signed_in = client.post(
            "/api/v1/auth/token", data={"username": "shopper@example.org", "password": PASSWORD}
        )
        signed_in.raise_for_status()
        session = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        token = client.post(
            "/api/v1/users/me/tokens", json={"name": "bench", "scopes": ["read"]}, headers=session
        )
        token.raise_for_status()
        household_id = client.get("/api/v1/households", headers=session).json()[0]["id"]
        made = client.post(
            "/api/v1/shopping-lists",
            json={"household_id": household_id, "name": "Long"},
            headers=session,
        )
        made.raise_for_status()
    return made.json()["id"], {"Authorization": f"Bearer {token.json()['token']}"}


def _amount(number: int) -> tuple[Decimal | None, str | None]:
    unit = UNITS[number % len(UNITS)]
    return Decimal(number % 9 + 1), unit


async def fill(database_url: str, list_id: int) -> None:
    """Write the items and their parts in a few bulk statements."""
    # The URL as the app reads it: with its async driver.
    engine = create_async_engine(Settings(database_url=database_url).database_url)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    try:
        async with engine.begin() as connection:
            addition = (
                await connection.execute(
                    insert(ShoppingAddition)
                    .values(list_id=list_id, servings=Decimal(4), created_at=start)
                    .returning(ShoppingAddition.id)
                )
            ).scalar_one()
            rows = []
            for number in range(OPEN_ITEMS + CHECKED_ITEMS):
                checked = number >= OPEN_ITEMS
                food = f"food {number % 3000}"
                rows.append(
                    {
                        "list_id": list_id,
                        "position": number,
                        "text": food,
                        "food": food,
                        "food_key": food_key(food),
                        "checked": checked,
                        "checked_at": start + dt.timedelta(minutes=number) if checked else None,
                        "changed_seq": 1,
                        "created_at": start,
                    }
                )
            await connection.execute(insert(ShoppingItem), rows)
            ids = (
                await connection.execute(
                    select(ShoppingItem.id, ShoppingItem.food)
                    .where(ShoppingItem.list_id == list_id)
                    .order_by(ShoppingItem.position)
                )
            ).all()
            parts = []
            for number, (item_id, food) in enumerate(ids):
                quantity, unit = _amount(number)
                parts.append(
                    {
                        "item_id": item_id,
                        "addition_id": None,
                        "text": f"{quantity} {unit or ''} {food}",
                        "quantity": quantity,
                        "unit": unit,
                        "food": food,
                    }
                )
                if number % 5 == 0:
                    quantity, unit = _amount(number + 1)
                    parts.append(
                        {
                            "item_id": item_id,
                            "addition_id": addition,
                            "text": f"{quantity} {unit or ''} {food}",
                            "quantity": quantity,
                            "unit": unit,
                            "food": food,
                        }
                    )
            await connection.execute(insert(ShoppingItemSource), parts)
    finally:
        await engine.dispose()


def read_alone(base_url: str, path: str, headers: dict[str, str], count: int) -> dict[str, float]:
    """Read the list ``count`` times, one after another; the latency's p50 and p95."""
    timings = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for number in range(count + 2):
            began = time.perf_counter()
            read = client.get(path, headers=headers)
            read.raise_for_status()
            if number >= 2:  # the first reads warm the caches
                timings.append((time.perf_counter() - began) * 1000)
            body = read.json()
    if len(body["items"]) != OPEN_ITEMS + 50 or body["checked_total"] != CHECKED_ITEMS:
        raise BenchError(f"the list reads {len(body['items'])} items")
    timings.sort()
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[min(len(timings) - 1, round(0.95 * len(timings)))],
        # Two cores shared with whatever else runs: the figures say little without it.
        "load_average": os.getloadavg()[0],
    }


def run(database: str, args: argparse.Namespace, work_dir: Path) -> dict[str, object]:
    options = LoadOptions(
        duration_s=args.duration / args.rounds, connections=args.connections, client=args.client
    )
    with ExitStack() as stack:
        create_database = stack.enter_context(database_factory(database, work_dir))
        env = seed(database, 0, create_database("bench_shopping"), work_dir)
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
        list_id, headers = make_list(app.base_url)
        asyncio.run(fill(env["RECIPEVAULT_DATABASE_URL"], list_id))
        path = f"/api/v1/shopping-lists/{list_id}"
        alone = read_alone(app.base_url, path, headers, args.alone)
        print(
            f"  one read at a time ({args.alone} reads): p50 {alone['p50_ms']:.0f} ms, "
            f"p95 {alone['p95_ms']:.0f} ms (target: under {TARGET_P95_MS} ms; load average "
            f"{alone['load_average']:.1f})",
            flush=True,
        )
        baseline, listed = Load.get("/json"), Load.get(path, headers=headers)
        rounds: list[tuple[LoadResult, LoadResult]] = []
        for number in range(args.rounds):
            warmup = args.warmup if number == 0 else 0.5
            bare_result = measure(bare.base_url, baseline, options, warmup_s=warmup)
            result = measure(app.base_url, listed, options, warmup_s=warmup)
            if result.error_responses or result.socket_errors:
                raise BenchError(f"the list failed under load: {result}")
            rounds.append((bare_result, result))
    ratios = [result.requests_per_second / bare.requests_per_second for bare, result in rounds]
    ratio = statistics.median(ratios)
    _, median_result = rounds[ratios.index(ratio)] if ratio in ratios else rounds[0]
    print(
        f"{database}: a list of {OPEN_ITEMS} open and {CHECKED_ITEMS} checked items "
        f"{ratio:.3f} of bare FastAPI (rounds {', '.join(f'{r:.3f}' for r in ratios)}; "
        f"{median_result.requests_per_second:.1f} req/s with {args.connections} connections, "
        f"p50 {median_result.p50_ms:.0f} ms, p99 {median_result.p99_ms:.0f} ms; load average "
        f"{os.getloadavg()[0]:.1f})",
        flush=True,
    )
    return {
        "database": database,
        "open_items": OPEN_ITEMS,
        "checked_items": CHECKED_ITEMS,
        "ratio": ratio,
        "rounds": ratios,
        "requests_per_second": [result.requests_per_second for _, result in rounds],
        "bare_requests_per_second": [bare.requests_per_second for bare, _ in rounds],
        "p50_ms": [result.p50_ms for _, result in rounds],
        "p99_ms": [result.p99_ms for _, result in rounds],
        "alone": alone,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per app")
    parser.add_argument("--rounds", type=int, default=5, help="alternating bare/list rounds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before the first round")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    parser.add_argument("--alone", type=int, default=40, help="reads one at a time, for p95")
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--output", type=Path, help="write results as JSON here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="rv-bench-shopping-") as folder:
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
