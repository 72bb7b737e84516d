"""Benchmark reading a long shopping list against a bare FastAPI app.

A fresh database gets one household's list with 2,000 open items (each with a typed part, and
every fifth with a recipe's part beside it, so that lines merge across units) and 10,000 items
checked off over time. ``GET /api/v1/shopping-lists/{id}`` (the open items and the 50 checked
last, each merged in the reader's units), sent with a personal API token, is measured in
alternating rounds right after the bare app's ``/json``; the median round's requests/s ratio and
its latency are reported; so is the list's page (``GET /shopping/{id}``, rendered on the
server for the shopper's browser session), read one at a time. The items are written straight
into the database (adding 12,000 through the API would take minutes and measure the writes, not
the read).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import httpx
from harness import (
    Load,
    alternate,
    bench_arguments,
    load_options,
    median_round,
    run_databases,
    serving,
    sign_up,
)
from servers import BenchError
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from recipevault.config import Settings
from recipevault.shopping.foods import food_key
from recipevault.shopping.models import ShoppingAddition, ShoppingItem, ShoppingItemSource

OPEN_ITEMS = 2_000
CHECKED_ITEMS = 10_000
TARGET_P95_MS = 200
PASSWORD = "bench shopping passphrase"  # noqa: S105 - a throwaway account
UNITS = ("gram", "kilogram", "milliliter", "cup", "teaspoon", None)


def make_list(base_url: str) -> tuple[int, dict[str, str]]:
    """Sign up and make a list through the API; its id and a reader's headers."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        shopper = sign_up(client, "shopper@example.org", PASSWORD)
        made = client.post(
            "/api/v1/shopping-lists",
            json={"household_id": shopper.household_id, "name": "Long"},
            headers=shopper.session,
        )
        made.raise_for_status()
    return made.json()["id"], shopper.reader


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
    return latencies(timings)


def latencies(timings: list[float]) -> dict[str, float]:
    """p50 and p95 of reads made one at a time, and the load average they were made at."""
    timings = sorted(timings)
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[min(len(timings) - 1, round(0.95 * len(timings)))],
        # Two cores shared with whatever else runs: the figures say little without it.
        "load_average": os.getloadavg()[0],
    }


def read_page_alone(base_url: str, list_id: int, count: int) -> dict[str, float]:
    """The list's page as the shopper's browser reads it (signed in with a session, rendered
    on the server), ``count`` times one after another; the latency's p50 and p95."""
    timings = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        client.post(
            "/api/v1/auth/session", json={"email": "shopper@example.org", "password": PASSWORD}
        ).raise_for_status()
        for number in range(count + 2):
            began = time.perf_counter()
            page = client.get(f"/shopping/{list_id}")
            page.raise_for_status()
            if number >= 2:  # the first reads warm the caches
                timings.append((time.perf_counter() - began) * 1000)
    if page.text.count('<li class="shop-item') != OPEN_ITEMS + 50:
        raise BenchError("the list page does not show every open item and the last checked")
    return latencies(timings)


def run(database: str, args: argparse.Namespace, work_dir: Path) -> dict[str, object]:
    with serving(database, work_dir, "bench_shopping") as (bare, app, env):
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
        page = read_page_alone(app.base_url, list_id, args.alone)
        print(
            f"  its page, one at a time ({args.alone} reads): p50 {page['p50_ms']:.0f} ms, "
            f"p95 {page['p95_ms']:.0f} ms (target: under {TARGET_P95_MS} ms; load average "
            f"{page['load_average']:.1f})",
            flush=True,
        )
        loads = {"the list": (Load.get("/json"), Load.get(path, headers=headers))}
        rounds = alternate(
            bare, app, loads, load_options(args), rounds=args.rounds, warmup_s=args.warmup
        )["the list"]
    found = median_round(rounds)
    ratio, ratios, median_result = found.ratio, found.ratios, found.median
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
        "page": page,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = bench_arguments(__doc__.splitlines()[0], connections=4, what="list")
    parser.add_argument("--alone", type=int, default=40, help="reads one at a time, for p95")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    return run_databases(parse_args(argv), "rv-bench-shopping-", run)


if __name__ == "__main__":
    sys.exit(main())
