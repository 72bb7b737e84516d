"""Benchmark the meal planner's month, as JSON and as a page, against a bare FastAPI app.

A fresh database gets one household with 30 recipes and 120 entries in December 2026 (four a
day, a few of them spanning two days), planned through the API; then
``GET /api/v1/meal-plan?household_id=…&start=2026-12-01&end=2026-12-31`` and
``GET /api/v1/users/me``, sent with a personal API token, are each measured right after the
bare app's ``/json``, and the month's page ``GET /planner?household=…&view=month&date=…``,
sent with a browser's session cookie, right after the bare app's ``/html``, in alternating
rounds; the median round's requests/s ratio of each is reported (targets on SQLite: the month
≥ 0.3, its page ≥ 0.25).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx
from harness import (
    Load,
    Member,
    alternate,
    bench_arguments,
    browser_headers,
    load_options,
    median_round,
    run_databases,
    serving,
    sign_up,
)
from servers import BenchError

ENTRIES = 120
RECIPES = 30
MONTH = ("2026-12-01", "2026-12-31")
ME = "/api/v1/users/me"  # the same token, to tell identifying the caller from the listing
PASSWORD = "bench planner passphrase"  # noqa: S105 - a throwaway account
# What is measured: its name, what it is, its baseline on the bare app, and its target.
SCENARIOS = (
    ("month", f"month of {ENTRIES} entries", "/json", 0.3),
    ("me", ME, "/json", None),
    ("page", f"month page of {ENTRIES} entries", "/html", 0.25),
)


def plan_a_month(base_url: str) -> Member:
    """Sign up and plan a month through the API; the planner's account."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        planner = sign_up(client, "planner@example.org", PASSWORD)
        household_id, session = planner.household_id, planner.session
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
    return planner


def month_loads(base_url: str, planner: Member) -> dict[str, Load]:
    """The requests of each scenario, each checked once."""
    household_id = planner.household_id
    month = f"/api/v1/meal-plan?household_id={household_id}&start={MONTH[0]}&end={MONTH[1]}"
    page = f"/planner?household={household_id}&view=month&date={MONTH[0]}"
    browser = browser_headers(base_url, planner)
    with httpx.Client(base_url=base_url, timeout=30) as client:
        listed = client.get(month, headers=planner.reader)
        listed.raise_for_status()
        if len(listed.json()["items"]) != ENTRIES:
            raise BenchError(f"the month lists {len(listed.json()['items'])} entries")
        shown = client.get(page, headers=browser)
        shown.raise_for_status()
        if "December 2026" not in shown.text or "Dish 0" not in shown.text:
            raise BenchError("the month's page does not show the month")
    return {
        "month": Load.get(month, headers=planner.reader),
        "me": Load.get(ME, headers=planner.reader),
        "page": Load.get(page, headers=browser),
    }


def run(database: str, args: argparse.Namespace, work_dir: Path) -> dict[str, object]:
    scenarios = [each for each in SCENARIOS if not args.only or each[0] in args.only]
    with serving(database, work_dir, "bench_planner") as (bare, app, _):
        loads = month_loads(app.base_url, plan_a_month(app.base_url))
        pairs = alternate(
            bare,
            app,
            {name: (Load.get(baseline), loads[name]) for name, _, baseline, _ in scenarios},
            load_options(args),
            rounds=args.rounds,
            warmup_s=args.warmup,
        )
    found: dict[str, object] = {"database": database, "entries": ENTRIES}
    for name, what, baseline, target in scenarios:
        ratio = median_round(pairs[name])
        verdict = (
            ""
            if target is None
            else f"; {'meets' if ratio.ratio >= target else 'misses'} the target of {target}"
        )
        print(
            f"{database}: {what} {ratio.ratio:.2f} of bare FastAPI's {baseline} "
            f"(rounds {', '.join(f'{r:.2f}' for r in ratio.ratios)}; "
            f"{ratio.median.requests_per_second:.0f} req/s, p50 {ratio.median.p50_ms:.1f} ms, "
            f"p99 {ratio.median.p99_ms:.1f} ms){verdict}",
            flush=True,
        )
        prefix = "" if name == "month" else f"{name}_"
        found |= {
            f"{prefix}target": target,
            f"{prefix}ratio": ratio.ratio,
            f"{prefix}rounds": ratio.ratios,
            f"{prefix}requests_per_second": [r.requests_per_second for _, r in pairs[name]],
            f"{prefix}bare_requests_per_second": [b.requests_per_second for b, _ in pairs[name]],
        }
    return found


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = bench_arguments(__doc__.splitlines()[0], connections=32, what="planner")
    parser.add_argument(
        "--only",
        choices=[name for name, *_ in SCENARIOS],
        action="append",
        help="measure this scenario only (repeatable)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    return run_databases(parse_args(argv), "rv-bench-planner-", run)


if __name__ == "__main__":
    sys.exit(main())
